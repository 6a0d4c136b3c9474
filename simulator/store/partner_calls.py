"""The SQL of outbound calls: partner callbacks (outbox rows, their attempts) and reference-image fetches.

`OutboundStore` is mixed into `Repository`, so it shares its one write lock and engine. Callback rows are
inserted by `insert_callbacks` inside the transaction that makes a submission terminal (the outbox), and
the pending reference fetch by `insert_reference_fetch` inside the confirm transaction; each comes with its
job row, so the scheduler delivers or fetches it even after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.one_hop_aiosqlite import UNREAD
from simulator.store.partner_call_records import (
    AttemptOutcome,
    CallbackAttemptRecord,
    CallbackRecord,
    CallbackState,
    FetchResult,
    NewCallback,
    ReferenceFetchRecord,
    callback_attempt_of,
    callback_of,
    reference_fetch_of,
)

DELIVER_CALLBACK = "deliver_callback"
FETCH_REFERENCE = "fetch_reference"
ASK_REFERENCE_IMAGE = "ask_reference_image"
COMPLETE = "complete"
WAITING_FOR_REFERENCE = "waiting for the reference image"


def _job(kind: str, ref: str, due_at: float, now: float) -> dict[str, Any]:
    return {
        "kind": kind,
        "ref": ref,
        "due_at": due_at,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


async def insert_callbacks(conn: AsyncConnection, callbacks: Sequence[NewCallback], now: float) -> None:
    """Write callbacks (and the delivery jobs of pending ones) inside the caller's transaction."""
    for cb in callbacks:
        pending = cb.state is CallbackState.PENDING
        await conn.execute(
            insert(t.callbacks).values(
                id=cb.id,
                client_id=cb.client_id,
                session_key=cb.session_key,
                submission_id=cb.submission_id,
                partner_session_id=cb.partner_session_id,
                cause=cb.cause,
                redelivery_of=cb.redelivery_of,
                state=cb.state.value,
                body=cb.body,
                attempts=0,
                created_at=now,
                next_attempt_at=cb.due_at if pending else None,
                finished_at=None if pending else now,
                last_error=cb.note,
            )
        )
        if pending:
            await conn.execute(insert(t.jobs).values(**_job(DELIVER_CALLBACK, cb.id, cb.due_at, now)))


async def insert_reference_fetch(
    conn: AsyncConnection,
    client_id: str,
    session_key: str,
    submission_id: str,
    url: str,
    now: float,
    job_kind: str = FETCH_REFERENCE,
) -> None:
    """A pending fetch of the session's reference image, and its job due now, in the caller's transaction.

    `url` is the image's URL (job `fetch_reference`), or the partner's reference-image endpoint (job
    `ask_reference_image`, which asks it first).
    """
    await conn.execute(
        insert(t.reference_fetches).values(
            client_id=client_id,
            session_key=session_key,
            submission_id=submission_id,
            url=url,
            state="pending",
            redirects=0,
            bytes_read=0,
            created_at=now,
        )
    )
    await conn.execute(insert(t.jobs).values(**_job(job_kind, submission_id, now, now)))


class OutboundStore:
    """Callback and reference-fetch statements; a base of `Repository`."""

    if TYPE_CHECKING:
        engine: AsyncEngine
        instance_id: str

        def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    # -- callbacks ----------------------------------------------------------------------------

    async def add_callback(self, callback: NewCallback, now: float) -> CallbackRecord:
        async with self.write() as conn:
            await insert_callbacks(conn, [callback], now)
            await publish(conn, self.instance_id, "jobs")
        found = await self.get_callback(callback.id)
        assert found is not None
        return found

    async def get_callback(self, callback_id: str, *, with_attempts: bool = False) -> CallbackRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.callbacks).where(t.callbacks.c.id == callback_id))).first()
            if row is None:
                return None
            attempts = await _attempts(conn, [callback_id]) if with_attempts else {}
        return callback_of(row, attempts.get(callback_id, ()))

    async def list_callbacks(
        self,
        *,
        client_id: str | None = None,
        partner_session_id: str | None = None,
        submission_id: str | None = None,
        session_key: str | None = None,
        state: str | None = None,
        limit: int = 100,
        with_attempts: bool = False,
    ) -> list[CallbackRecord]:
        """The latest `limit` callbacks matching every given filter, oldest first."""
        c = t.callbacks.c
        query = select(t.callbacks)
        for column, value in (
            (c.client_id, client_id),
            (c.partner_session_id, partner_session_id),
            (c.submission_id, submission_id),
            (c.session_key, session_key),
            (c.state, state),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(c.seq.desc()).limit(limit)
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(query))[::-1]
            attempts = await _attempts(conn, [r.id for r in rows]) if with_attempts else {}
        return [callback_of(r, attempts.get(r.id, ())) for r in rows]

    async def callbacks_of_session(self, session_key: str) -> list[CallbackRecord]:
        """Every callback of a partner session with all its attempts, oldest first (for timelines)."""
        return await self.list_callbacks(session_key=session_key, limit=10_000, with_attempts=True)

    async def record_callback_attempt(self, outcome: AttemptOutcome, now: float) -> None:
        """Keep the attempt, move the callback on, and reschedule or finish its job: one transaction."""
        attempt = outcome.attempt
        pending = outcome.state is CallbackState.PENDING
        async with self.write() as conn:
            row = (await conn.execute(select(t.callbacks).where(t.callbacks.c.id == outcome.callback_id))).first()
            if row is not None:
                await conn.execute(
                    insert(t.callback_attempts).values(
                        callback_id=row.id,
                        client_id=row.client_id,
                        session_key=row.session_key,
                        submission_id=row.submission_id,
                        number=attempt.number,
                        at=attempt.at,
                        duration_ms=attempt.duration_ms,
                        method=attempt.method,
                        url=attempt.url,
                        request_headers=attempt.request_headers,
                        status_code=attempt.status_code,
                        response_excerpt=attempt.response_excerpt,
                        error=attempt.error,
                    )
                )
                await conn.execute(
                    update(t.callbacks)
                    .prefix_with(UNREAD)
                    .where(t.callbacks.c.id == row.id)
                    .values(
                        state=outcome.state.value,
                        attempts=attempt.number,
                        next_attempt_at=outcome.next_attempt_at,
                        finished_at=None if pending else now,
                        last_status=attempt.status_code,
                        last_error=attempt.error,
                    )
                )
            job = update(t.jobs).prefix_with(UNREAD).where(t.jobs.c.id == outcome.job_id)
            if pending and outcome.next_attempt_at is not None:
                # A failed delivery is the callback's attempt, not a failure of the job: no retry budget spent.
                job = job.values(state="pending", due_at=outcome.next_attempt_at, last_error=attempt.error)
            else:
                job = job.values(state="done", attempts=t.jobs.c.attempts + 1)
            await conn.execute(job.values(updated_at=now))

    async def settle_callback(self, callback_id: str, job_id: int, state: CallbackState, note: str, now: float) -> None:
        """End a callback without an attempt (e.g. no URL configured any more) and finish its job."""
        async with self.write() as conn:
            await conn.execute(
                update(t.callbacks)
                .where(t.callbacks.c.id == callback_id, t.callbacks.c.state == CallbackState.PENDING.value)
                .values(state=state.value, next_attempt_at=None, finished_at=now, last_error=note)
            )
            await conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(state="done", updated_at=now))

    # -- reference fetches --------------------------------------------------------------------

    async def reference_fetch_of(self, submission_id: str) -> ReferenceFetchRecord | None:
        query = _fetch_query().where(t.reference_fetches.c.submission_id == submission_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return reference_fetch_of(row) if row is not None else None

    async def reference_fetches_of_session(self, session_key: str) -> list[ReferenceFetchRecord]:
        """Every reference fetch of a partner session, oldest first (for timelines)."""
        query = _fetch_query().where(t.reference_fetches.c.session_key == session_key)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query.order_by(t.reference_fetches.c.id))
            return [reference_fetch_of(r) for r in rows]

    async def reference_image(self, submission_id: str) -> tuple[bytes, str] | None:
        """The kept reference image of a submission and its content type, if one was fetched."""
        f = t.reference_fetches.c
        query = select(f.data, f.content_type).where(f.submission_id == submission_id, f.data.is_not(None))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (bytes(row.data), row.content_type or "application/octet-stream") if row else None

    async def finish_reference_fetch(self, submission_id: str, job_id: int, result: FetchResult, now: float) -> None:
        async with self.write() as conn:
            await conn.execute(
                update(t.reference_fetches)
                .where(t.reference_fetches.c.submission_id == submission_id)
                .values(
                    state="done",
                    outcome=result.outcome,
                    status_code=result.status_code,
                    final_url=result.final_url,
                    redirects=result.redirects,
                    content_type=result.content_type,
                    bytes_read=result.bytes_read,
                    data=result.data,
                    error=result.error,
                    response_excerpt=result.response_excerpt,
                    fetched_at=now,
                    duration_ms=result.duration_ms,
                )
            )
            await conn.execute(
                update(t.jobs)
                .where(t.jobs.c.id == job_id)
                .values(state="done", updated_at=now, attempts=t.jobs.c.attempts + 1)
            )
            # A completion that already ran and deferred itself for this fetch is due again now.
            await conn.execute(
                update(t.jobs)
                .where(
                    t.jobs.c.kind == "complete",
                    t.jobs.c.ref == submission_id,
                    t.jobs.c.state == "pending",
                    t.jobs.c.last_error == WAITING_FOR_REFERENCE,
                    t.jobs.c.due_at > now,
                )
                .values(due_at=now, updated_at=now)
            )


async def _attempts(conn: AsyncConnection, callback_ids: list[str]) -> dict[str, list[CallbackAttemptRecord]]:
    if not callback_ids:
        return {}
    a = t.callback_attempts.c
    rows = await conn.execute(select(t.callback_attempts).where(a.callback_id.in_(callback_ids)).order_by(a.id))
    found: dict[str, list[CallbackAttemptRecord]] = {}
    for r in rows:
        found.setdefault(r.callback_id, []).append(callback_attempt_of(r))
    return found


def _fetch_query() -> Select[Any]:
    columns = [c for c in t.reference_fetches.c if c.name != "data"]
    return select(*columns, func.length(t.reference_fetches.c.data).label("size"))
