"""`/_sim` reads as use cases: the request journal, partner sessions, submissions' owners, jobs, callbacks.

Every read of journaled requests flushes the journal first, so a client sees the requests it has already
had answers to. `journal_query` is the one place a `/_sim` filter (`GET /_sim/requests`, a verify
matcher) becomes a `JournalQuery`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from simulator.services.context import Services
from simulator.services.control import views as sim_views
from simulator.store import admin_queries as store
from simulator.store import job_listing as job_rows
from simulator.store.journal_rows import JournalQuery, JournalRecord, JournalStore
from simulator.store.partner_call_records import CallbackRecord
from simulator.store.records import SessionRecord


class JournalFilter(Protocol):
    """The filters a `/_sim` request filter and a verify matcher share (`status`: code, class)."""

    @property
    def client_id(self) -> str | None: ...
    @property
    def partner_session_id(self) -> str | None: ...
    @property
    def session_key(self) -> str | None: ...
    @property
    def submission_id(self) -> str | None: ...
    @property
    def direction(self) -> str | None: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def status(self) -> tuple[int | None, int | None] | None: ...


def journal_query(
    given: JournalFilter, *, since: float | None = None, until: float | None = None, after_id: int | None = None
) -> JournalQuery:
    """The journal read of `given`'s filters, within `[since, until]` (epoch seconds), past row `after_id`."""
    status, status_class = given.status or (None, None)
    return JournalQuery(
        client_id=given.client_id,
        partner_session_id=given.partner_session_id,
        session_key=given.session_key,
        submission_id=given.submission_id,
        direction=given.direction,
        kind=given.kind,
        method=given.method,
        path=given.path,
        status=status,
        status_class=status_class,
        since=since,
        until=until,
        after_id=after_id,
    )


@dataclass(frozen=True, slots=True)
class RequestPage:
    """At most `limit` journaled requests, and the journal's counters (`stored` rows now in the table)."""

    records: list[JournalRecord]
    stored: int
    recorded: int
    dropped: int
    max_entries: int


async def requests_page(svc: Services, query: JournalQuery, limit: int, *, newest_first: bool) -> RequestPage:
    """Journaled requests matching `query` (flushed first), newest or oldest first."""
    await svc.journal.flush()
    journal = JournalStore(svc.repo)
    records = await journal.query(query, limit=limit, newest_first=newest_first)
    return RequestPage(
        records, await journal.count(), svc.journal.recorded, svc.journal.dropped, svc.journal.max_entries
    )


async def session_list(svc: Services, client_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Partner sessions of `client_id` (or all), newest first, each with its latest submission (JSON)."""
    sessions = await store.list_sessions(svc.repo, client_id, limit)
    return [sim_views.session_json(s, await svc.repo.latest_submission(s.key)) for s in sessions]


async def session_by_key(svc: Services, key: str) -> SessionRecord | None:
    """The partner session with simulator key `key`, if any."""
    return await svc.repo.get_session(key)


async def sessions_by_partner_session_id(
    svc: Services, partner_session_id: str, client_id: str | None
) -> list[SessionRecord]:
    """The sessions with `partner_session_id`: of `client_id` (at most one) or of every partner."""
    if client_id is not None:
        found = await svc.repo.find_session(client_id, partner_session_id)
        return [found] if found is not None else []
    return await store.sessions_by_partner_session_id(svc.repo, partner_session_id)


async def session_detail(svc: Services, session: SessionRecord) -> dict[str, Any]:
    """`session` with its submissions and timeline, as `GET /_sim/sessions/{key}` shows them."""
    await svc.journal.flush()
    submissions = await svc.repo.submissions_of(session.key)
    return {
        "session": sim_views.session_json(session, submissions[-1] if submissions else None),
        "submissions": [sim_views.submission_json(s) for s in submissions],
        "timeline": await sim_views.timeline(svc, session),
    }


async def jobs_by_state(svc: Services) -> dict[str, int]:
    """How many jobs are in each state (`pending`, `running`, `done`, `failed`)."""
    return await job_rows.count_by_state(svc.repo)


async def job_listing(
    svc: Services, *, state: str | None, kind: str | None, ref: str | None, limit: int
) -> tuple[list[job_rows.JobView], dict[str, int]]:
    """The latest `limit` jobs matching every given filter, newest first, and the counts per state."""
    found = await job_rows.list_jobs(svc.repo, state=state, kind=kind, ref=ref, limit=limit)
    return found, await job_rows.count_by_state(svc.repo)


async def submission_owner(svc: Services, submission_id: str) -> str | None:
    """The client id of the partner whose submission `submission_id` is, or None when there is none."""
    record = await svc.repo.get_submission(submission_id)
    return record.client_id if record else None


async def callback_listing(
    svc: Services,
    *,
    client_id: str | None,
    partner_session_id: str | None,
    submission_id: str | None,
    state: str | None,
    limit: int,
) -> list[CallbackRecord]:
    """The latest `limit` callbacks matching every given filter, oldest first."""
    return await svc.repo.list_callbacks(
        client_id=client_id,
        partner_session_id=partner_session_id,
        submission_id=submission_id,
        state=state,
        limit=limit,
    )
