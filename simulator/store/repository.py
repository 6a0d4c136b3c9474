"""The repository: the one object services reach the store through, composed of one store per thing.

Sessions (`store.sessions`), jobs (`store.job_queue`), partners and meta (`store.partners`), callbacks and
reference fetches (`store.partner_calls`), scenarios (`store.scenario_state`) are mixed in; the journal has
its own `store.journal_rows`. This module owns what they share (the engine, the write transaction, the
caches and their invalidation) and the submissions with their documents, whose every status move goes
through `store.transitions.move`: one conditional update with its transition row and follow-up job in the
same transaction, so concurrent requests (on any instance) cannot corrupt a submission and a crash loses
nothing that was acknowledged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.bounded import SESSIONS, SUBMISSIONS, BoundedCache
from simulator.domain.outcomes import Verdict
from simulator.domain.states import DocumentStatus, Status
from simulator.store import tables as t
from simulator.store import transitions
from simulator.store.changes import publish
from simulator.store.errors import DuplicateError, StaleStateError
from simulator.store.job_queue import JobStore, add_job
from simulator.store.one_hop_aiosqlite import UNREAD
from simulator.store.partner_call_records import NewCallback
from simulator.store.partner_calls import FETCH_REFERENCE, OutboundStore, insert_callbacks, insert_reference_fetch
from simulator.store.partners import PartnerStore
from simulator.store.records import (
    DocumentRecord,
    SessionRecord,
    SubmissionRecord,
    TransitionRecord,
    document_of,
    submission_of,
)
from simulator.store.scenario_state import ScenarioStore
from simulator.store.sessions import SessionStore
from simulator.store.write_queue import WriteQueue

# Records of recent sessions and submissions (the status hot path); ~12 KB a flow, so bounded low.
_CACHE_SIZE = 5_000

_s, _d = t.submissions.c, t.documents.c
# Hot statements, built once: executing the same construct hits SQLAlchemy's compiled cache without
# rebuilding it (or generating its cache key) each time.
_DOCUMENT_COLUMNS = (_d.reference, _d.submission_id, _d.doc_type, _d.status, _d.content_type, _d.size, _d.uploaded_at)
_SUBMISSION = select(t.submissions).where(_s.id == bindparam("id"))
# A submission with its documents in one statement (one row per document; the submission's columns repeat).
_SUBMISSION_WITH_DOCUMENTS = (
    select(t.submissions, *(c.label(f"doc_{c.name}") for c in _DOCUMENT_COLUMNS))
    .select_from(t.submissions.outerjoin(t.documents, _d.submission_id == _s.id))
    .where(_s.id == bindparam("id"))
)
_DOCUMENTS = select(*_DOCUMENT_COLUMNS).where(_d.submission_id == bindparam("id"))
_INSERT_SUBMISSION = insert(t.submissions).returning(*t.submissions.c)
_INSERT_DOCUMENTS = insert(t.documents)
_LATEST = select(_s.id).where(_s.session_key == bindparam("key")).order_by(_s.attempt.desc()).limit(1)
_COUNT_POLL = (
    update(t.submissions)
    .where(_s.id == bindparam("sid"), _s.status == Status.IN_PROGRESS.value)
    .values(polls=_s.polls + 1)
    .returning(_s.polls)
)
_STORE_DOCUMENT = (
    update(t.documents)
    .where(
        _d.reference == bindparam("ref"),
        select(_s.id).where(_s.id == bindparam("sid"), _s.status == Status.INITIATED.value).exists(),
    )
    .values(
        status=DocumentStatus.UPLOADED.value,
        data=bindparam("data"),
        size=bindparam("size"),
        content_type=bindparam("content_type"),
        uploaded_at=bindparam("uploaded_at"),
    )
)
_SELFIE_STATUS = (
    update(t.documents)
    .prefix_with(UNREAD)
    .where(_d.submission_id == bindparam("sid"), _d.doc_type == "SELFIE")
    .values(status=bindparam("doc_status"))
)
_COMPLETE_JOB_DONE = (
    update(t.jobs)
    .prefix_with(UNREAD)
    .where(t.jobs.c.kind == "complete", t.jobs.c.ref == bindparam("sid"), t.jobs.c.state == "pending")
    .values(state="done", updated_at=bindparam("now"))
)


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
        self._write_lock = WriteQueue()
        self._submissions: BoundedCache[str, SubmissionRecord] = BoundedCache.of(SUBMISSIONS)
        self._sessions: BoundedCache[str, SessionRecord] = BoundedCache.of(SESSIONS)
        self._session_keys: BoundedCache[tuple[str, str], str] = BoundedCache.of(SESSIONS)

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
        self._session_keys.clear()
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
            documents = {
                doc_type: DocumentRecord(ref, submission_id, doc_type, DocumentStatus.PENDING, None, None, None)
                for doc_type, ref in document_refs.items()
            }
            async with self.write() as conn:
                row = (
                    await conn.execute(
                        _INSERT_SUBMISSION,
                        {
                            "id": submission_id,
                            "session_key": session.key,
                            "client_id": session.client_id,
                            "partner_session_id": session.partner_session_id,
                            "attempt": attempt,
                            "max_attempts": session.max_attempts,
                            "submission_type": submission_type,
                            "flow": session.flow,
                            "status": Status.INITIATED.value,
                            "retriable": False,
                            "polls": 0,
                            "created_at": now,
                        },
                    )
                ).one()
                await conn.execute(
                    _INSERT_DOCUMENTS,
                    [
                        {
                            "reference": d.reference,
                            "submission_id": submission_id,
                            "doc_type": d.doc_type,
                            "status": d.status.value,
                        }
                        for d in documents.values()
                    ],
                )
                await transitions.record(conn, submission_id, session.key, None, Status.INITIATED, now, "presign")
            return self._put(replace(submission_of(row, ()), documents=documents))
        except IntegrityError as exc:
            raise DuplicateError(submission_id) from exc

    async def get_submission(self, submission_id: str) -> SubmissionRecord | None:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_SUBMISSION_WITH_DOCUMENTS, {"id": submission_id})).all()
        if not rows:
            return None
        documents = {
            r.doc_doc_type: DocumentRecord(
                r.doc_reference,
                r.doc_submission_id,
                r.doc_doc_type,
                DocumentStatus(r.doc_status),
                r.doc_content_type,
                r.doc_size,
                r.doc_uploaded_at,
            )
            for r in rows
            if r.doc_reference is not None
        }
        return replace(submission_of(rows[0], ()), documents=documents)

    @staticmethod
    async def _with_documents(conn: AsyncConnection, row: Row[Any]) -> SubmissionRecord:
        return submission_of(row, await conn.execute(_DOCUMENTS, {"id": row.id}))

    async def _after_move(
        self, conn: AsyncConnection, row: Row[Any], selfie_status: DocumentStatus | None = None
    ) -> SubmissionRecord:
        """The record of a submission whose row a write returned: its documents from the cache when it
        holds them (a status move changes no document but the selfie's status, given here), else read."""
        cached = self._submissions.get(row.id)
        if cached is None:
            return await self._with_documents(conn, row)
        documents = cached.documents
        selfie = documents.get("SELFIE")
        if selfie_status is not None and selfie is not None:
            documents = {**documents, "SELFIE": replace(selfie, status=selfie_status)}
        return replace(submission_of(row, ()), documents=documents)

    async def _load(self, conn: AsyncConnection, submission_id: str) -> SubmissionRecord:
        row = (await conn.execute(_SUBMISSION, {"id": submission_id})).one()
        return await self._with_documents(conn, row)

    async def latest_submission(self, session_key: str) -> SubmissionRecord | None:
        async with self.engine.connect() as conn:
            submission_id = (await conn.execute(_LATEST, {"key": session_key})).scalar()
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
        values = {"ref": reference, "sid": submission_id, "data": data, "size": len(data)}
        async with self.write() as conn:
            result = await conn.execute(_STORE_DOCUMENT, {**values, "content_type": content_type, "uploaded_at": now})
            if result.rowcount != 1:
                raise StaleStateError(submission_id)
            await publish(conn, self.instance_id, "sub", submission_id)
            cached = self._submissions.get(submission_id)
            uploaded = self._uploaded(cached, reference, len(data), content_type, now) if cached else None
            record = uploaded or await self._load(conn, submission_id)
        return self._put(record)

    @staticmethod
    def _uploaded(
        cached: SubmissionRecord, reference: str, size: int, content_type: str, now: float
    ) -> SubmissionRecord | None:
        """The cached record with document `reference` uploaded (the write just made), if it holds it."""
        for doc_type, document in cached.documents.items():
            if document.reference == reference and cached.status is Status.INITIATED:
                stored = replace(
                    document, status=DocumentStatus.UPLOADED, size=size, content_type=content_type, uploaded_at=now
                )
                return replace(cached, documents={**cached.documents, doc_type: stored})
        return None

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
            moved = await transitions.move(
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
            if moved is None:
                raise StaleStateError(submission_id)
            if reference_url is not None:
                await insert_reference_fetch(
                    conn, moved.client_id, session_key, submission_id, reference_url, now, reference_job
                )
            if due_at is not None:
                await add_job(conn, "complete", submission_id, due_at, now)
            if due_at is not None or reference_url is not None:
                await publish(conn, self.instance_id, "jobs")
            record = await self._after_move(conn, moved)
        return self._put(record)

    async def count_poll(self, submission_id: str) -> SubmissionRecord | None:
        """One more status poll of an IN_PROGRESS submission (one statement); None if no longer in progress."""
        async with self.write() as conn:
            polls = (await conn.execute(_COUNT_POLL, {"sid": submission_id})).scalar()
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
            moved = await transitions.move(
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
            if moved is None:
                raise StaleStateError(submission_id)
            await conn.execute(_SELFIE_STATUS, {"sid": submission_id, "doc_status": verdict.selfie_status.value})
            await insert_callbacks(conn, callbacks, now)
            if callbacks:
                await publish(conn, self.instance_id, "jobs")
            await conn.execute(_COMPLETE_JOB_DONE, {"sid": submission_id, "now": now})
            record = await self._after_move(conn, moved, verdict.selfie_status)
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
