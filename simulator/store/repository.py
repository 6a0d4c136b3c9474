"""The repository: the one object services reach the store through, composed of one store per thing.

Sessions (`store.sessions`), jobs (`store.jobs`), partners and meta (`store.partners`), callbacks and
reference fetches (`store.outbound`), scenarios (`store.scenarios`) are mixed in; the journal has its own
`store.journal_repo`. This module owns what they share (the engine, the write transaction, the caches
and their invalidation) and the submissions with their documents, whose every status move goes through
`store.transitions.advance`: one conditional update with its transition row and follow-up job in the
same transaction, so concurrent requests (on any instance) cannot corrupt a submission and a crash loses
nothing that was acknowledged.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.bounded import SESSIONS, SUBMISSIONS, BoundedCache
from simulator.domain.outcomes import Verdict
from simulator.domain.states import DocumentStatus, Status
from simulator.store import tables as t
from simulator.store import transitions
from simulator.store.changes import publish
from simulator.store.errors import DuplicateError, StaleStateError
from simulator.store.jobs import JobStore, add_job
from simulator.store.outbound import FETCH_REFERENCE, OutboundStore, insert_callbacks, insert_reference_fetch
from simulator.store.outbound_records import NewCallback
from simulator.store.partners import PartnerStore
from simulator.store.records import (
    DocumentRecord,
    SessionRecord,
    SubmissionRecord,
    TransitionRecord,
    document_of,
    submission_of,
)
from simulator.store.scenarios import ScenarioStore
from simulator.store.sessions import SessionStore

# Records of recent sessions and submissions (the status hot path); ~12 KB a flow, so bounded low.
_CACHE_SIZE = 5_000


class Repository(SessionStore, OutboundStore, ScenarioStore, JobStore, PartnerStore):
    """All SQL, plus a read-through cache of submissions kept in step with every committed write.

    Own writes update the cache as they commit (write-through). Writes of other instances on the same
    database drop entries (`drop_*`, `forget`) when `simulator.services.coherence` hears of them; the
    epoch, bumped by every drop, keeps a read that raced a drop from caching what it read.
    """

    def __init__(self, engine: AsyncEngine, instance_id: str = "local") -> None:
        self.engine = engine
        self.instance_id = instance_id
        self._epoch = 0
        self._write_lock = asyncio.Lock()
        self._submissions: OrderedDict[str, SubmissionRecord] = BoundedCache.of(SUBMISSIONS)
        self._sessions: OrderedDict[str, SessionRecord] = BoundedCache.of(SESSIONS)

    async def cached_submission(self, submission_id: str) -> SubmissionRecord | None:
        """The submission as last committed; the hot path reads this without touching the database."""
        record = self._submissions.get(submission_id)
        if record is not None:
            return record
        epoch = self._epoch
        record = await self.get_submission(submission_id)
        if record is not None and epoch == self._epoch:
            # A writer that committed meanwhile has already put a newer record: keep that one.
            record = self._submissions.setdefault(submission_id, record)
            self._trim()
        return record

    def forget(self) -> None:
        """Drop every cached record (a reset, or changes of other instances not known one by one)."""
        self._epoch += 1
        self._submissions.clear()
        self._sessions.clear()
        self._script_cache().clear()

    def drop_submission(self, submission_id: str) -> None:
        self._epoch += 1
        self._submissions.pop(submission_id, None)

    def drop_session(self, key: str) -> None:
        self._epoch += 1
        self._sessions.pop(key, None)

    def drop_script(self, session_key: str) -> None:
        self._epoch += 1
        self._script_cache().pop(session_key, None)

    def _put(self, record: SubmissionRecord) -> SubmissionRecord:
        self._submissions[record.id] = record
        self._submissions.move_to_end(record.id)
        self._trim()
        return record

    def _trim(self) -> None:
        while len(self._submissions) > _CACHE_SIZE:
            self._submissions.popitem(last=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction; SQLite has one writer, so writers queue here instead of failing."""
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    # -- submissions --------------------------------------------------------------------------

    async def create_submission(
        self,
        session: SessionRecord,
        submission_id: str,
        attempt: int,
        submission_type: str,
        document_refs: Mapping[str, str],
        now: float,
    ) -> SubmissionRecord:
        """Insert attempt `attempt` of the session; DuplicateError when a racing request took it."""
        try:
            async with self.write() as conn:
                await conn.execute(
                    insert(t.submissions).values(
                        id=submission_id,
                        session_key=session.key,
                        client_id=session.client_id,
                        partner_session_id=session.partner_session_id,
                        attempt=attempt,
                        max_attempts=session.max_attempts,
                        submission_type=submission_type,
                        flow=session.flow,
                        status=Status.INITIATED.value,
                        retriable=False,
                        polls=0,
                        created_at=now,
                    )
                )
                await conn.execute(
                    insert(t.documents),
                    [
                        {
                            "reference": ref,
                            "submission_id": submission_id,
                            "doc_type": doc_type,
                            "status": DocumentStatus.PENDING.value,
                        }
                        for doc_type, ref in document_refs.items()
                    ],
                )
                await transitions.record(conn, submission_id, session.key, None, Status.INITIATED, now, "presign")
                record = await self._load(conn, submission_id)
            return self._put(record)
        except IntegrityError as exc:
            raise DuplicateError(submission_id) from exc

    async def get_submission(self, submission_id: str) -> SubmissionRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.submissions).where(t.submissions.c.id == submission_id))).first()
            if row is None:
                return None
            return await self._with_documents(conn, row)

    @staticmethod
    async def _with_documents(conn: AsyncConnection, row: Row[Any]) -> SubmissionRecord:
        docs = await conn.execute(
            select(
                t.documents.c.reference,
                t.documents.c.submission_id,
                t.documents.c.doc_type,
                t.documents.c.status,
                t.documents.c.content_type,
                t.documents.c.size,
                t.documents.c.uploaded_at,
            ).where(t.documents.c.submission_id == row.id)
        )
        return submission_of(row, docs)

    async def _load(self, conn: AsyncConnection, submission_id: str) -> SubmissionRecord:
        row = (await conn.execute(select(t.submissions).where(t.submissions.c.id == submission_id))).one()
        return await self._with_documents(conn, row)

    async def latest_submission(self, session_key: str) -> SubmissionRecord | None:
        query = (
            select(t.submissions.c.id)
            .where(t.submissions.c.session_key == session_key)
            .order_by(t.submissions.c.attempt.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            submission_id = (await conn.execute(query)).scalar()
        return await self.get_submission(submission_id) if submission_id else None

    async def count_submissions(self, session_key: str) -> int:
        query = select(func.count()).select_from(t.submissions).where(t.submissions.c.session_key == session_key)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def get_document(self, reference: str) -> tuple[DocumentRecord, bytes | None] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.documents).where(t.documents.c.reference == reference))).first()
        if row is None:
            return None
        return document_of(row), row.data

    async def store_document(
        self, reference: str, submission_id: str, data: bytes, content_type: str, now: float
    ) -> SubmissionRecord:
        """Keep the bytes, while the submission still takes uploads (INITIATED); else StaleStateError."""
        still_open = (
            select(t.submissions.c.id)
            .where(t.submissions.c.id == submission_id, t.submissions.c.status == Status.INITIATED.value)
            .exists()
        )
        async with self.write() as conn:
            result = await conn.execute(
                update(t.documents)
                .where(t.documents.c.reference == reference, still_open)
                .values(
                    status=DocumentStatus.UPLOADED.value,
                    data=data,
                    size=len(data),
                    content_type=content_type,
                    uploaded_at=now,
                )
            )
            if result.rowcount != 1:
                raise StaleStateError(submission_id)
            await publish(conn, self.instance_id, "sub", submission_id)
            record = await self._load(conn, submission_id)
        return self._put(record)

    async def confirm(
        self,
        submission_id: str,
        session_key: str,
        sdk_session_id: str,
        metadata: dict[str, Any] | None,
        plan: dict[str, Any],
        after_polls: int | None,
        due_at: float | None,
        now: float,
        reference_url: str | None = None,
        cause: str = "confirm",
        reference_job: str = FETCH_REFERENCE,
    ) -> SubmissionRecord:
        """INITIATED -> IN_PROGRESS with its completion job and reference fetch; StaleStateError if not INITIATED."""
        async with self.write() as conn:
            moved = await transitions.advance(
                conn,
                self.instance_id,
                submission_id,
                session_key,
                Status.INITIATED,
                Status.IN_PROGRESS,
                now,
                cause,
                sdk_session_id=sdk_session_id,
                metadata=metadata,
                plan=plan,
                after_polls=after_polls,
                confirmed_at=now,
            )
            if not moved:
                raise StaleStateError(submission_id)
            if reference_url is not None:
                client_id = (
                    await conn.execute(select(t.submissions.c.client_id).where(t.submissions.c.id == submission_id))
                ).scalar_one()
                await insert_reference_fetch(
                    conn, client_id, session_key, submission_id, reference_url, now, reference_job
                )
            if due_at is not None:
                await add_job(conn, "complete", submission_id, due_at, now)
            if due_at is not None or reference_url is not None:
                await publish(conn, self.instance_id, "jobs")
            record = await self._load(conn, submission_id)
        return self._put(record)

    async def count_poll(self, submission_id: str) -> SubmissionRecord | None:
        """One more status poll of an IN_PROGRESS submission (one statement); None if no longer in progress."""
        async with self.write() as conn:
            result = await conn.execute(
                update(t.submissions)
                .where(t.submissions.c.id == submission_id, t.submissions.c.status == Status.IN_PROGRESS.value)
                .values(polls=t.submissions.c.polls + 1)
                .returning(t.submissions.c.polls)
            )
            polls = result.scalar()
            if polls is None:
                return None
            await publish(conn, self.instance_id, "sub", submission_id)
            cached = self._submissions.get(submission_id)
            record = replace(cached, polls=int(polls)) if cached else await self._load(conn, submission_id)
        return self._put(record)

    async def complete(
        self,
        submission_id: str,
        session_key: str,
        verdict: Verdict,
        now: float,
        cause: str,
        callbacks: Sequence[NewCallback] = (),
    ) -> SubmissionRecord:
        """IN_PROGRESS -> COMPLETED | ERROR, with the selfie's document status and the partner callbacks
        (the outbox); StaleStateError otherwise."""
        async with self.write() as conn:
            moved = await transitions.advance(
                conn,
                self.instance_id,
                submission_id,
                session_key,
                Status.IN_PROGRESS,
                verdict.status,
                now,
                cause,
                result=verdict.result.value if verdict.result else None,
                reason_code=verdict.reason_code,
                retriable=verdict.retriable,
                error_message=verdict.error_message,
                reference_reason_code=verdict.reference_reason_code,
                completed_at=now,
            )
            if not moved:
                raise StaleStateError(submission_id)
            await conn.execute(
                update(t.documents)
                .where(
                    t.documents.c.submission_id == submission_id,
                    t.documents.c.doc_type == "SELFIE",
                )
                .values(status=verdict.selfie_status.value)
            )
            await insert_callbacks(conn, callbacks, now)
            if callbacks:
                await publish(conn, self.instance_id, "jobs")
            await conn.execute(
                update(t.jobs)
                .where(t.jobs.c.kind == "complete", t.jobs.c.ref == submission_id, t.jobs.c.state == "pending")
                .values(state="done", updated_at=now)
            )
            record = await self._load(conn, submission_id)
        return self._put(record)

    async def transitions_of(self, session_key: str) -> list[TransitionRecord]:
        async with self.engine.connect() as conn:
            return await transitions.of_session(conn, session_key)

    async def submissions_of(self, session_key: str) -> list[SubmissionRecord]:
        query = select(t.submissions.c.id).where(t.submissions.c.session_key == session_key)
        async with self.engine.connect() as conn:
            ids = [r[0] for r in await conn.execute(query.order_by(t.submissions.c.attempt))]
        found = [await self.get_submission(i) for i in ids]
        return [s for s in found if s is not None]
