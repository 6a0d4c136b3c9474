"""The journal table's statements: batched appends with oldest-first eviction, and filtered reads.

`append` extends the stored rows of coalesced poll runs (`journal_writes.merge_runs`), writes one batch
under the repository's write lock, resolves the owner of upload/download entries (they name only a
document), then deletes every row older than the newest `cap`, so the table never holds more than `cap`
rows however long the simulator runs. A row stands for `repeats` requests: `requests` counts those.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.store import tables as t
from simulator.store.journal_writes import COLUMNS, insert_rows, merge_runs
from simulator.store.repository import Repository

if TYPE_CHECKING:
    from simulator.services.journal.buffer import JournalEntry
    from simulator.services.journal.coalesce import Merge

__all__ = ["COLUMNS", "JournalQuery", "JournalRecord", "JournalStore", "journal_row", "with_timing"]

j = t.journal.c


@dataclass(frozen=True, slots=True)
class JournalQuery:
    """Filters of a journal read; every given one must hold. `path` with `*` is a glob, else exact."""

    client_id: str | None = None
    partner_session_id: str | None = None
    session_key: str | None = None
    submission_id: str | None = None
    direction: str | None = None
    kind: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    status_class: int | None = None
    since: float | None = None
    until: float | None = None
    after_id: int | None = None


def glob_to_like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def conditions(query: JournalQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for column, value in (
        (j.client_id, query.client_id),
        (j.partner_session_id, query.partner_session_id),
        (j.session_key, query.session_key),
        (j.submission_id, query.submission_id),
        (j.direction, query.direction),
        (j.kind, query.kind),
        (j.status, query.status),
    ):
        if value is not None:
            where.append(column == value)
    if query.method is not None:
        where.append(j.method == query.method.upper())
    if query.path is not None:
        if "*" in query.path or "?" in query.path:
            where.append(j.path.like(glob_to_like(query.path), escape="\\"))
        else:
            where.append(j.path == query.path)
    if query.status_class is not None:
        where.append(and_(j.status >= query.status_class * 100, j.status < query.status_class * 100 + 100))
    if query.since is not None:
        where.append(j.at >= query.since)
    if query.until is not None:
        where.append(j.at <= query.until)
    if query.after_id is not None:
        where.append(j.id > query.after_id)
    return where


def _headers_text(headers: dict[str, str]) -> str | None:
    """Headers as `name: value` lines: cheaper to write than JSON, and header values hold no newline."""
    return "\n".join(f"{name}: {value}" for name, value in headers.items()) if headers else None


def _headers_of(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    return dict(line.split(": ", 1) for line in text.split("\n") if ": " in line)


Row = tuple[Any, ...]
_AT, _LATENCY, _KIND, _OWNER, _EXTRA = 0, 7, 2, slice(8, 12), 19


def journal_row(entry: JournalEntry) -> Row:
    """The row of an entry, in `COLUMNS` order."""
    path = entry.url.split("?", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return (
        entry.at,
        entry.direction,
        entry.kind,
        entry.method.upper(),
        path,
        entry.url,
        entry.status,
        round(entry.latency_ms, 3),
        entry.client_id,
        entry.partner_session_id,
        entry.session_key,
        entry.submission_id,
        _headers_text(entry.request_headers),
        entry.request_body,
        entry.request_size,
        _headers_text(entry.response_headers),
        entry.response_body,
        entry.response_size,
        entry.error,
        json.dumps(entry.extra) if entry.extra else None,
        1,  # repeats: a new row stands for one request until identical polls join it
        None,  # last_at
    )


def with_timing(template: Row, at: float, latency_ms: float) -> Row:
    """A copy of a row with another time and latency (the rest of a repeated request is the same)."""
    return (at, *template[1:_LATENCY], round(latency_ms, 3), *template[_LATENCY + 1 :])


def _document_of(row: Row) -> str | None:
    """The document an upload or download row names, when its owner is still unknown."""
    if row[_KIND] != "storage" or row[_OWNER][3] is not None or not row[_EXTRA]:
        return None
    document = json.loads(row[_EXTRA]).get("document")
    return str(document) if document else None


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One stored journal row."""

    id: int
    at: float
    direction: str
    kind: str
    method: str
    path: str
    url: str
    status: int | None
    latency_ms: float
    client_id: str | None
    partner_session_id: str | None
    session_key: str | None
    submission_id: str | None
    request_headers: dict[str, str]
    request_body: str | None
    request_size: int | None
    response_headers: dict[str, str]
    response_body: str | None
    response_size: int | None
    error: str | None
    extra: dict[str, Any]
    repeats: int = 1
    last_at: float | None = None

    @property
    def last(self) -> float:
        """When the last request this row stands for came (Unix seconds): `last_at`, else `at`."""
        return self.last_at if self.last_at is not None else self.at


def _record(row: Any) -> JournalRecord:
    values = dict(row._mapping)
    values["request_headers"] = _headers_of(values["request_headers"])
    values["response_headers"] = _headers_of(values["response_headers"])
    values["extra"] = json.loads(values["extra"]) if values["extra"] else {}
    return JournalRecord(**values)


class JournalStore:
    """The journal's sink (`append`) and its reads."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    async def append(
        self, rows: Sequence[Row], cap: int, merges: Sequence[Merge] = ()
    ) -> tuple[list[int], dict[int, int]]:
        """The journal's sink (`services.journal.buffer.JournalSink`): merges, then one batch insert, then eviction."""
        if not rows and not merges:
            return [], {}
        documents = [_document_of(row) for row in rows]
        async with self._repo.write() as conn:
            fallbacks = [(m.run, m.fallback) for m in await merge_runs(conn, merges)]
            if any(documents):
                owners = await self._owners(conn, {d for d in documents if d})
                rows = [
                    (*row[: _OWNER.start], *owners[d], *row[_OWNER.stop :]) if d in owners else row
                    for row, d in zip(rows, documents, strict=True)
                ]
            ids = await insert_rows(conn, [row for _, row in fallbacks] + list(rows))
            if ids:  # a batch of merges only adds no row: nothing to evict
                newest = select(func.max(j.id)).scalar_subquery()
                await conn.execute(delete(t.journal).where(j.id <= newest - cap))
        return ids[len(fallbacks) :], {run: ids[n] for n, (run, _) in enumerate(fallbacks)}

    async def requests(self, query: JournalQuery | None = None) -> int:
        """How many requests the matching rows stand for: the sum of their `repeats`."""
        statement = select(func.coalesce(func.sum(j.repeats), 0)).select_from(t.journal)
        if query is not None:
            statement = statement.where(*conditions(query))
        async with self._repo.engine.connect() as conn:
            return int((await conn.execute(statement)).scalar() or 0)

    @staticmethod
    async def _owners(conn: AsyncConnection, documents: set[str]) -> dict[str, tuple[str, str, str, str]]:
        s, d = t.submissions.c, t.documents.c
        query = (
            select(d.reference, s.id, s.session_key, s.client_id, s.partner_session_id)
            .join(t.submissions, s.id == d.submission_id)
            .where(d.reference.in_(sorted(documents)))
        )
        return {
            r.reference: (r.client_id, r.partner_session_id, r.session_key, r.id) for r in await conn.execute(query)
        }

    async def query(self, query: JournalQuery, *, limit: int = 100, newest_first: bool = True) -> list[JournalRecord]:
        order = j.id.desc() if newest_first else j.id.asc()
        statement: Select[Any] = select(t.journal).where(*conditions(query)).order_by(order).limit(limit)
        async with self._repo.engine.connect() as conn:
            return [_record(r) for r in await conn.execute(statement)]

    async def count(self, query: JournalQuery | None = None) -> int:
        statement = select(func.count()).select_from(t.journal)
        if query is not None:
            statement = statement.where(*conditions(query))
        async with self._repo.engine.connect() as conn:
            return int((await conn.execute(statement)).scalar() or 0)

    async def of_session(
        self, client_id: str, partner_session_id: str, session_key: str, limit: int
    ) -> list[JournalRecord]:
        """A partner session's requests, oldest first: by its key, or by client and partner session id."""
        where = or_(
            j.session_key == session_key,
            and_(j.client_id == client_id, j.partner_session_id == partner_session_id),
        )
        statement = select(t.journal).where(where).order_by(j.id).limit(limit)
        async with self._repo.engine.connect() as conn:
            return [_record(r) for r in await conn.execute(statement)]
