"""Submission state changes: the one way a submission's status moves, and the row each move leaves.

`advance(from, to, cause)` checks the move against the domain's transition table
(`simulator.domain.states.TRANSITIONS`: an illegal move raises the vendor's 409 before any SQL), then
makes it one conditional update (`… WHERE status = from`), so of two racing moves (on one instance or
several) exactly one wins; the winner writes the transition row and announces the change to the other
instances in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.domain.states import Status, check_transition
from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.records import TransitionRecord

_s = t.submissions.c


async def record(
    conn: AsyncConnection,
    submission_id: str,
    session_key: str,
    source: Status | None,
    target: Status,
    now: float,
    cause: str,
) -> None:
    """The transition row of a move (`source` None: the submission was just created)."""
    await conn.execute(
        insert(t.transitions).values(
            submission_id=submission_id,
            session_key=session_key,
            from_status=source.value if source else None,
            to_status=target.value,
            at=now,
            cause=cause,
        )
    )


async def advance(
    conn: AsyncConnection,
    origin: str,
    submission_id: str,
    session_key: str,
    source: Status,
    target: Status,
    now: float,
    cause: str,
    **values: Any,
) -> bool:
    """Move the submission `source -> target`, setting `values` too; False when it is not in `source` (any more).

    Raises `Conflict` (409 SUBMISSION_STATE_CONFLICT) when the table does not allow the move.
    """
    check_transition(source, target)
    moved = await conn.execute(
        update(t.submissions)
        .where(_s.id == submission_id, _s.status == source.value)
        .values(status=target.value, **values)
    )
    if moved.rowcount != 1:
        return False
    await record(conn, submission_id, session_key, source, target, now, cause)
    await publish(conn, origin, "sub", submission_id)
    return True


async def of_session(conn: AsyncConnection, session_key: str) -> list[TransitionRecord]:
    """Every move of the session's submissions, oldest first."""
    query = select(t.transitions).where(t.transitions.c.session_key == session_key).order_by(t.transitions.c.id)
    return [
        TransitionRecord(r.submission_id, r.from_status, r.to_status, r.at, r.cause) for r in await conn.execute(query)
    ]
