"""Statements of the control surface: scoped reset, token revocations, session listings, forced plans.

Reset is generic over the schema, so tables added later are covered without touching it: within the
scope it deletes from every table (but the kept ones) the rows whose `client_id` (and, for one partner
session, `partner_session_id`), `session_key` or `submission_id` fall in the scope, then the jobs whose
`ref` names a deleted row (a submission, or any deleted row's string `id`, such as a callback).
A partner-session reset also deletes a scenario binding made for any partner (no clientId) for that
partner session id, since it would select the next session's scenario; a whole-partner reset keeps
those, as they are not that partner's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.domain.states import Status
from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.records import SessionRecord
from simulator.store.repository import Repository
from simulator.store.scenario_state import ANY_PARTNER
from simulator.store.upsert import insert_or_ignore

KEPT_TABLES = frozenset({"meta", "partners", "revoked_tokens", "clock", "instances", "alembic_version"})
_CHUNK = 500


# -- revoked tokens -------------------------------------------------------------------------------


async def revoked_jtis(repo: Repository) -> set[str]:
    async with repo.engine.connect() as conn:
        return {r[0] for r in await conn.execute(select(t.revoked_tokens.c.jti))}


async def revoke(repo: Repository, jti: str, client_id: str, kind: str, expires_at: float, now: float) -> bool:
    """Persist a revocation; False when the token was already revoked."""
    values = {"jti": jti, "client_id": client_id, "kind": kind, "expires_at": expires_at, "revoked_at": now}
    async with repo.write() as conn:
        inserted = await insert_or_ignore(conn, t.revoked_tokens, values)
        await publish(conn, repo.instance_id, "revoked", jti)
    return inserted


# -- reset ----------------------------------------------------------------------------------------


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


async def _scalars(conn: AsyncConnection, statement: Any) -> set[str]:
    return {str(r[0]) for r in await conn.execute(statement)}


async def _delete(conn: AsyncConnection, table: Table, where: ColumnElement[bool], refs: set[str]) -> int:
    """Delete matching rows, adding their string `id`s (what jobs may name in `ref`) to `refs`."""
    if "id" in table.c and isinstance(table.c.id.type, String):
        refs |= await _scalars(conn, select(table.c.id).where(where))
    return (await conn.execute(delete(table).where(where))).rowcount or 0


async def reset_state(repo: Repository, client_id: str | None, partner_session_id: str | None) -> dict[str, int]:
    """Delete the state of everything, one partner, or one partner session; rows deleted per table."""
    deleted: dict[str, int] = {}
    tables = [tb for tb in reversed(t.metadata.sorted_tables) if tb.name not in KEPT_TABLES]
    async with repo.write() as conn:
        if client_id is None:
            for table in tables:
                deleted[table.name] = (await conn.execute(delete(table))).rowcount or 0
            await publish(conn, repo.instance_id, "reset")
            return deleted
        s = t.partner_sessions.c
        sessions = select(s.key).where(s.client_id == client_id)
        if partner_session_id is not None:
            sessions = sessions.where(s.partner_session_id == partner_session_id)
        keys = await _scalars(conn, sessions)
        submissions: set[str] = set()
        for chunk in _chunks(keys):
            of_sessions = select(t.submissions.c.id).where(t.submissions.c.session_key.in_(chunk))
            submissions |= await _scalars(conn, of_sessions)
        refs = set(submissions)
        for table in tables:
            if table is t.jobs:
                continue
            c = table.c
            count = 0
            if "client_id" in c and partner_session_id is None:
                count += await _delete(conn, table, c.client_id == client_id, refs)
            elif "client_id" in c and "partner_session_id" in c:
                owners = [client_id, ANY_PARTNER] if table is t.scenario_bindings else [client_id]
                where = c.client_id.in_(owners) & (c.partner_session_id == partner_session_id)
                count += await _delete(conn, table, where, refs)
            if "session_key" in c:
                for chunk in _chunks(keys):
                    count += await _delete(conn, table, c.session_key.in_(chunk), refs)
            if "submission_id" in c:
                for chunk in _chunks(submissions):
                    count += await _delete(conn, table, c.submission_id.in_(chunk), refs)
            deleted[table.name] = count
        jobs = 0
        for chunk in _chunks(refs):
            jobs += (await conn.execute(delete(t.jobs).where(t.jobs.c.ref.in_(chunk)))).rowcount or 0
        deleted[t.jobs.name] = jobs
        await publish(conn, repo.instance_id, "reset")
    return deleted


# -- sessions -------------------------------------------------------------------------------------


async def list_sessions(repo: Repository, client_id: str | None, limit: int) -> list[SessionRecord]:
    """Partner sessions, newest first."""
    s = t.partner_sessions.c
    query = select(s.key)
    if client_id is not None:
        query = query.where(s.client_id == client_id)
    query = query.order_by(s.created_at.desc(), s.key).limit(limit)
    async with repo.engine.connect() as conn:
        keys = [r[0] for r in await conn.execute(query)]
    found = [await repo.get_session(key) for key in keys]
    return [f for f in found if f is not None]


async def sessions_by_partner_session_id(repo: Repository, partner_session_id: str) -> list[SessionRecord]:
    """Every partner's session with this partner session id (they are unique per partner only)."""
    s = t.partner_sessions.c
    query = select(s.key, s.client_id).where(s.partner_session_id == partner_session_id)
    async with repo.engine.connect() as conn:
        rows = list(await conn.execute(query))
    found = [await repo.find_session(r.client_id, partner_session_id) for r in rows]
    return [f for f in found if f is not None]


async def set_plan(repo: Repository, submission_id: str, plan: dict[str, Any]) -> bool:
    """Replace the verdict plan of an IN_PROGRESS submission (an admin forcing its outcome)."""
    sub = t.submissions.c
    async with repo.write() as conn:
        result = await conn.execute(
            update(t.submissions)
            .where(sub.id == submission_id, sub.status == Status.IN_PROGRESS.value)
            .values(plan=plan, after_polls=None)
        )
        await publish(conn, repo.instance_id, "sub", submission_id)
    repo.drop_submission(submission_id)
    return bool(result.rowcount)
