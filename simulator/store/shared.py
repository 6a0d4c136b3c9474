"""Rows every instance on the database shares: the simulator clock (one row) and the live instances.

The clock row holds an offset from the wall clock, or the instant it stands frozen at. Every change is
one atomic UPDATE computed by the database from the row as it is (`offset + :seconds`), so concurrent
advances on several instances add up instead of overwriting each other. Instances register with a
wall-clock heartbeat; one whose heartbeat is older than the job lease is gone.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.store import tables as t
from simulator.store.upsert import insert_or_ignore, upsert

ClockState = tuple[float, float | None]  # (offset seconds, frozen at or None)
_c = t.clock.c
_ONE = _c.id == 1


def _state(row: Any) -> ClockState:
    return float(row.offset_seconds), None if row.frozen_at is None else float(row.frozen_at)


async def ensure_clock(conn: AsyncConnection, offset: float, frozen_at: float | None) -> ClockState:
    """Create the clock row unless an instance already did; the row as it is (one clock for all)."""
    await insert_or_ignore(conn, t.clock, {"id": 1, "offset_seconds": offset, "frozen_at": frozen_at})
    return await load_clock(conn)


async def load_clock(conn: AsyncConnection) -> ClockState:
    return _state((await conn.execute(select(_c.offset_seconds, _c.frozen_at).where(_ONE))).one())


async def _update(conn: AsyncConnection, **values: Any) -> ClockState:
    statement = update(t.clock).where(_ONE).values(**values).returning(_c.offset_seconds, _c.frozen_at)
    return _state((await conn.execute(statement)).one())


async def advance_clock(conn: AsyncConnection, seconds: float) -> ClockState:
    """Forward by `seconds`, frozen or running."""
    return await _update(conn, offset_seconds=_c.offset_seconds + seconds, frozen_at=_c.frozen_at + seconds)


async def freeze_clock(conn: AsyncConnection, at: float | None, wall: float) -> ClockState:
    """Stand still at `at`, or where the clock is now (`wall` + offset; unchanged when already frozen)."""
    target = func.coalesce(_c.frozen_at, wall + _c.offset_seconds) if at is None else at
    return await _update(conn, frozen_at=target)


async def resume_clock(conn: AsyncConnection, wall: float) -> ClockState:
    """Run again from where it stands."""
    offset = case((_c.frozen_at.is_(None), _c.offset_seconds), else_=_c.frozen_at - wall)
    return await _update(conn, offset_seconds=offset, frozen_at=None)


async def set_clock(conn: AsyncConnection, at: float, wall: float) -> ClockState:
    """Jump to `at` (forward or back), keeping the frozen or running mode."""
    running = _c.frozen_at.is_(None)
    return await _update(
        conn,
        offset_seconds=case((running, at - wall), else_=_c.offset_seconds),
        frozen_at=case((running, None), else_=at),
    )


# -- instances ---------------------------------------------------------------------------------------


async def register_instance(engine: AsyncEngine, instance_id: str, wall: float, seeded: bool, base_url: str) -> None:
    """Register this process; first take back the running jobs of instances that died on this very host
    (their process is gone: no need to wait for their leases to lapse)."""
    i, j = t.instances.c, t.jobs.c
    host = socket.gethostname()
    async with engine.begin() as conn:
        local = (await conn.execute(select(i.id, i.pid).where(i.host == host))).all()
        dead = [row.id for row in local if not _alive(int(row.pid))]
        if dead:
            released = update(t.jobs).where(j.owner.in_(dead), j.state == "running")
            await conn.execute(released.values(state="pending", owner=None, lease_until=None))
            await conn.execute(delete(t.instances).where(i.id.in_(dead)))
        values = {
            "id": instance_id,
            "started_at": wall,
            "heartbeat_at": wall,
            "seeded": seeded,
            "base_url": base_url,
            "host": host,
            "pid": os.getpid(),
        }
        await upsert(conn, t.instances, values, ["id"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0


async def heartbeat_instance(conn: AsyncConnection, instance_id: str, wall: float) -> None:
    await conn.execute(update(t.instances).where(t.instances.c.id == instance_id).values(heartbeat_at=wall))


async def other_live_instances(engine: AsyncEngine, instance_id: str, since: float) -> list[tuple[str, bool, str]]:
    """(id, seeded, base url) of the other instances whose heartbeat is at or after `since` (wall clock)."""
    i = t.instances.c
    query = select(i.id, i.seeded, i.base_url).where(i.id != instance_id, i.heartbeat_at >= since).order_by(i.id)
    async with engine.connect() as conn:
        return [(r.id, bool(r.seeded), r.base_url) for r in await conn.execute(query)]


async def unregister_instance(engine: AsyncEngine, instance_id: str, stale_before: float) -> None:
    """Remove this instance, and rows of instances long gone."""
    i = t.instances.c
    async with engine.begin() as conn:
        await conn.execute(delete(t.instances).where((i.id == instance_id) | (i.heartbeat_at < stale_before)))
