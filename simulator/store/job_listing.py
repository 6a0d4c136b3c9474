"""Read-only views of the job table for `/_sim`: counts per state (health, dashboard), listings (the
jobs view) and the failed jobs of one partner session (its timeline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select

from simulator.store import tables as t
from simulator.store.repository import Repository

JOB_STATES = ("pending", "running", "done", "failed")


@dataclass(frozen=True, slots=True)
class JobView:
    """One job row as `/_sim` shows it. `attempts` counts failed runs; `last_error` is the last failure
    (or, for a waiting job, why it waits). Times are simulator epoch seconds."""

    id: int
    kind: str
    ref: str
    state: str
    attempts: int
    due_at: float
    created_at: float
    updated_at: float
    last_error: str | None


def _view(row: Row[Any]) -> JobView:
    return JobView(
        row.id, row.kind, row.ref, row.state, row.attempts, row.due_at, row.created_at, row.updated_at, row.last_error
    )


async def count_by_state(repo: Repository) -> dict[str, int]:
    """How many jobs are in each state (every state of `JOB_STATES` present, 0 when none)."""
    query = select(t.jobs.c.state, func.count()).group_by(t.jobs.c.state)
    async with repo.engine.connect() as conn:
        found = {str(state): int(n) for state, n in await conn.execute(query)}
    return {state: found.get(state, 0) for state in JOB_STATES} | found


async def list_jobs(
    repo: Repository, *, state: str | None, kind: str | None, ref: str | None, limit: int
) -> list[JobView]:
    """The latest `limit` jobs matching every given filter, newest first."""
    query = select(t.jobs).order_by(t.jobs.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(t.jobs.c.state == state)
    if kind is not None:
        query = query.where(t.jobs.c.kind == kind)
    if ref is not None:
        query = query.where(t.jobs.c.ref == ref)
    async with repo.engine.connect() as conn:
        return [_view(r) for r in await conn.execute(query)]


async def failed_jobs_of(repo: Repository, refs: Sequence[str]) -> list[JobView]:
    """The failed jobs whose `ref` is one of `refs` (a session's submission and callback ids), oldest first."""
    if not refs:
        return []
    query = select(t.jobs).where(t.jobs.c.state == "failed", t.jobs.c.ref.in_(list(refs))).order_by(t.jobs.c.id)
    async with repo.engine.connect() as conn:
        return [_view(r) for r in await conn.execute(query)]
