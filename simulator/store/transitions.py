"""Submission state changes: the one way a submission's status moves, and the row each move leaves.

`move(from, to, cause)` (or `advance`, which answers only whether it moved) checks the move against
the domain's transition table (`simulator.domain.states.TRANSITIONS`: an illegal move raises the
vendor's 409 before any SQL), then makes it one conditional update (`… WHERE status = from`,
`RETURNING` the row), so of two racing moves (on one instance or several) exactly one wins; the
winner writes the transition row and announces the change to the other instances in the same
transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.domain.states import Status, check_transition
from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.records import TransitionRecord

_s = t.submissions.c

# Built once: executing the same construct hits SQLAlchemy's compiled cache without rebuilding it.
INSERT_TRANSITION = insert(t.transitions)
_MOVE_STATEMENT = (
    update(t.submissions).where(_s.id == bindparam("_id"), _s.status == bindparam("_from")).returning(*t.submissions.c)
)


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
        INSERT_TRANSITION,
        {
            "submission_id": submission_id,
            "session_key": session_key,
            "from_status": source.value if source else None,
            "to_status": target.value,
            "at": now,
            "cause": cause,
        },
    )


async def move(
    conn: AsyncConnection,
    origin: str,
    submission_id: str,
    session_key: str,
    source: Status,
    target: Status,
    now: float,
    cause: str,
    **values: Any,
) -> Row[Any] | None:
    """Move the submission `source -> target`, setting `values` too: its row as it is now (`RETURNING`, so
    the caller need not read it again), or None when it is not in `source` (any more).

    Raises `Conflict` (409 SUBMISSION_STATE_CONFLICT) when the table does not allow the move.
    """
    check_transition(source, target)
    row = (
        await conn.execute(
            _MOVE_STATEMENT,
            {"_id": submission_id, "_from": source.value, "status": target.value, **values},
        )
    ).first()
    if row is None:
        return None
    await record(conn, submission_id, session_key, source, target, now, cause)
    await publish(conn, origin, "sub", submission_id)
    return row


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
    """`move`, telling only whether the submission moved."""
    return await move(conn, origin, submission_id, session_key, source, target, now, cause, **values) is not None


async def of_session(conn: AsyncConnection, session_key: str) -> list[TransitionRecord]:
    """Every move of the session's submissions, oldest first."""
    query = select(t.transitions).where(t.transitions.c.session_key == session_key).order_by(t.transitions.c.id)
    return [
        TransitionRecord(r.submission_id, r.from_status, r.to_status, r.at, r.cause) for r in await conn.execute(query)
    ]
