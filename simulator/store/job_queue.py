"""The job table: due work (completions, callback deliveries, reference fetches) shared by every instance.

A job is claimed by one instance at a time: `pending` and due, or `running` under a lease that lapsed
(its owner died), becomes `running` with this instance as owner and a lease on the wall clock. The
owner's heartbeat extends the lease while the job runs; nobody ever requeues a job whose lease is
live. On PostgreSQL the claim locks the rows it takes with `FOR UPDATE SKIP LOCKED`, so instances
claiming together take disjoint jobs without waiting for each other; SQLite has one writer, so the
same conditional UPDATE is atomic there. `attempts` counts finished runs (a deferral is not one) and
`last_error` keeps the last failure; a job whose failures spend its retry budget (`simulator.jobs.retry`)
ends `failed`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.one_hop_aiosqlite import UNREAD
from simulator.store.records import JobRecord

_j = t.jobs.c


def _claimable(now: float, wall: float) -> Any:
    lapsed = (_j.state == "running") & (_j.lease_until.is_(None) | (_j.lease_until < wall))
    return or_((_j.state == "pending") & (_j.due_at <= now), lapsed)


async def add_job(
    conn: AsyncConnection, kind: str, ref: str, due_at: float, now: float, payload: dict[str, Any] | None = None
) -> None:
    await conn.execute(
        insert(t.jobs).values(
            kind=kind,
            ref=ref,
            due_at=due_at,
            state="pending",
            attempts=0,
            payload=payload,
            created_at=now,
            updated_at=now,
        )
    )


class JobStore:
    """Job statements; a base of `Repository`."""

    if TYPE_CHECKING:
        engine: AsyncEngine
        instance_id: str

        def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    async def claim_due(
        self, now: float, wall: float, lease: float, limit: int, *, look_first: bool = True
    ) -> list[JobRecord]:
        """Take up to `limit` jobs due at simulator time `now` (or whose lease lapsed at wall time `wall`).

        `look_first` reads before writing, as most idle passes find nothing and so take no write turn;
        without it (a job was just added) the claim is the one statement.
        """
        if limit <= 0:
            return []
        if look_first:
            async with self.engine.connect() as conn:
                if (await conn.execute(select(_j.id).where(_claimable(now, wall)).limit(1))).first() is None:
                    return []
        ids = select(_j.id).where(_claimable(now, wall)).order_by(_j.due_at, _j.id).limit(limit)
        ids = ids.with_for_update(skip_locked=True)
        claim = (
            update(t.jobs)
            .where(_j.id.in_(ids.scalar_subquery()), _claimable(now, wall))
            .values(state="running", owner=self.instance_id, lease_until=wall + lease, updated_at=now)
            .returning(_j.id, _j.kind, _j.ref, _j.due_at, _j.attempts, _j.payload)
        )
        async with self.write() as conn:
            rows = list(await conn.execute(claim))
        return sorted((JobRecord(r.id, r.kind, r.ref, r.due_at, r.attempts, r.payload) for r in rows), key=_order)

    async def extend_leases(self, wall: float, lease: float) -> int:
        """The heartbeat: every job this instance runs stays its own for `lease` more seconds."""
        statement = (
            update(t.jobs).where(_j.owner == self.instance_id, _j.state == "running").values(lease_until=wall + lease)
        )
        async with self.write() as conn:
            return int((await conn.execute(statement)).rowcount or 0)

    async def release_jobs(self, now: float) -> int:
        """At a clean stop: this instance's running jobs go back to pending for the others."""
        statement = (
            update(t.jobs)
            .where(_j.owner == self.instance_id, _j.state == "running")
            .values(state="pending", owner=None, lease_until=None, updated_at=now)
        )
        async with self.write() as conn:
            count = int((await conn.execute(statement)).rowcount or 0)
            if count:
                await publish(conn, self.instance_id, "jobs")
        return count

    async def next_due_at(self) -> float | None:
        query = select(func.min(_j.due_at)).where(_j.state == "pending")
        async with self.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return float(value) if value is not None else None

    async def next_lease_end(self) -> float | None:
        """When the earliest lease of a running job lapses (wall clock)."""
        query = select(func.min(_j.lease_until)).where(_j.state == "running")
        async with self.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return float(value) if value is not None else None

    async def unfinished_due(self, now: float) -> int:
        """Jobs due by simulator time `now` that no instance has finished: pending and due, or running."""
        query = (
            select(func.count())
            .select_from(t.jobs)
            .where(or_((_j.state == "pending") & (_j.due_at <= now), _j.state == "running"))
        )
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def _release(self, job_id: int, **values: Any) -> None:
        """Set `values` on a job this instance held, give up its lease, and wake the other instances."""
        async with self.write() as conn:
            await conn.execute(
                update(t.jobs).prefix_with(UNREAD).where(_j.id == job_id).values(**values, owner=None, lease_until=None)
            )
            await publish(conn, self.instance_id, "jobs")

    async def finish_job(self, job_id: int, now: float, state: str = "done", error: str | None = None) -> None:
        """A finished run: the job ends in `state` (`done` by default), one more run counted."""
        await self._release(job_id, state=state, updated_at=now, last_error=error, attempts=_j.attempts + 1)

    async def retry_job(self, job_id: int, due_at: float, now: float, error: str) -> None:
        """A failed run within the retry budget: pending again at `due_at` (simulator time), one more run counted."""
        await self._release(
            job_id, state="pending", due_at=due_at, updated_at=now, last_error=error, attempts=_j.attempts + 1
        )

    async def defer_job(self, job_id: int, due_at: float, now: float, note: str) -> None:
        """Run a job again at `due_at` (simulator time) without spending its retry budget (it waits, it did
        not fail); `note` says what it waits for."""
        await self._release(job_id, state="pending", due_at=due_at, updated_at=now, last_error=note)

    async def fail_job(self, job_id: int, now: float, failures: int, error: str) -> None:
        """The terminal `failed` state of a job whose retry budget is spent, with its last error."""
        await self._release(job_id, state="failed", updated_at=now, attempts=failures, last_error=error)

    async def job_due_at(self, kinds: tuple[str, ...], ref: str) -> float | None:
        """When the next pending or running job of one of `kinds` for `ref` runs (epoch s); None if none."""
        query = select(func.min(_j.due_at)).where(
            _j.kind.in_(kinds), _j.ref == ref, _j.state.in_(("pending", "running"))
        )
        async with self.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return float(value) if value is not None else None

    async def pending_jobs(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(t.jobs).where(_j.state == "pending")
        if kind is not None:
            query = query.where(_j.kind == kind)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar() or 0)


def _order(job: JobRecord) -> tuple[float, int]:
    return job.due_at, job.id
