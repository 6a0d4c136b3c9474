"""The SQL of scenarios: bindings made in advance, the script each session runs, fault call counters.

`ScenarioStore` is mixed into `Repository`, so it shares its one write lock and engine. A session's
script is read on every faultable vendor call, so it is cached in memory, updated on each write (a
session key is never reused, so entries of deleted sessions are simply never asked for again; another
instance's write drops the entry, see `Repository`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.bounded import SESSION_SCRIPTS, BoundedCache
from simulator.domain.scripts import Behaviour
from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.upsert import increment, upsert

ANY_PARTNER = "*"
_CACHE_SIZE = 5_000  # recent sessions' scripts; memory stays flat over long runs


@dataclass(frozen=True, slots=True)
class BindingRecord:
    """A scenario bound in advance to a partner session id (`client_id` "*": of any partner)."""

    client_id: str
    partner_session_id: str
    scenario: str
    script: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True, slots=True)
class SessionScriptRecord:
    """The script a partner session runs and where it came from."""

    session_key: str
    client_id: str
    partner_session_id: str
    scenario: str
    source: str
    behaviour: Behaviour
    updated_at: float


def _binding(row: Row[Any]) -> BindingRecord:
    return BindingRecord(row.client_id, row.partner_session_id, row.scenario, row.script, row.created_at)


class ScenarioStore:
    """Scenario statements; a base of `Repository`."""

    if TYPE_CHECKING:
        engine: AsyncEngine

        instance_id: str

        def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def _script_cache(self) -> BoundedCache[str, SessionScriptRecord]:
        cache: BoundedCache[str, SessionScriptRecord] | None = self.__dict__.get("_session_script_cache")
        if cache is None:
            cache = self.__dict__["_session_script_cache"] = BoundedCache.of(SESSION_SCRIPTS)
        return cache

    # -- bindings -----------------------------------------------------------------------------

    async def put_binding(self, record: BindingRecord) -> None:
        """Bind (or re-bind) a scenario to a partner session id."""
        values = {
            "client_id": record.client_id,
            "partner_session_id": record.partner_session_id,
            "scenario": record.scenario,
            "script": record.script,
            "created_at": record.created_at,
        }
        async with self.write() as conn:
            await upsert(conn, t.scenario_bindings, values, ["client_id", "partner_session_id"])

    async def delete_binding(self, client_id: str, partner_session_id: str) -> int:
        async with self.write() as conn:
            result = await conn.execute(
                delete(t.scenario_bindings).where(
                    t.scenario_bindings.c.client_id == client_id,
                    t.scenario_bindings.c.partner_session_id == partner_session_id,
                )
            )
        return int(result.rowcount or 0)

    async def list_bindings(self, client_id: str | None = None) -> list[BindingRecord]:
        query = select(t.scenario_bindings).order_by(
            t.scenario_bindings.c.created_at, t.scenario_bindings.c.partner_session_id
        )
        if client_id is not None:
            query = query.where(t.scenario_bindings.c.client_id == client_id)
        async with self.engine.connect() as conn:
            return [_binding(row) for row in await conn.execute(query)]

    async def find_binding(self, client_id: str, partner_session_id: str) -> BindingRecord | None:
        """The binding for this partner's session id, else one made for any partner."""
        query = select(t.scenario_bindings).where(
            t.scenario_bindings.c.partner_session_id == partner_session_id,
            or_(t.scenario_bindings.c.client_id == client_id, t.scenario_bindings.c.client_id == ANY_PARTNER),
        )
        async with self.engine.connect() as conn:
            rows = [_binding(row) for row in await conn.execute(query)]
        return min(rows, key=lambda b: b.client_id == ANY_PARTNER, default=None)

    # -- the script of each session -----------------------------------------------------------

    async def save_session_script(self, record: SessionScriptRecord) -> None:
        values = {
            "session_key": record.session_key,
            "client_id": record.client_id,
            "partner_session_id": record.partner_session_id,
            "scenario": record.scenario,
            "source": record.source,
            "script": record.behaviour.model_dump(mode="json"),
            "updated_at": record.updated_at,
        }
        async with self.write() as conn:
            await upsert(conn, t.session_scripts, values, ["session_key"])
            await publish(conn, self.instance_id, "script", record.session_key)
        self._remember_script(record)

    async def session_script(self, session_key: str) -> SessionScriptRecord | None:
        cache = self._script_cache()
        cached = cache.get(session_key)
        if cached is not None:
            return cached
        query = select(t.session_scripts).where(t.session_scripts.c.session_key == session_key)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        behaviour = Behaviour.model_validate(row.script)
        record = SessionScriptRecord(
            row.session_key, row.client_id, row.partner_session_id, row.scenario, row.source, behaviour, row.updated_at
        )
        self._remember_script(record)
        return record

    def _remember_script(self, record: SessionScriptRecord) -> None:
        cache = self._script_cache()
        cache[record.session_key] = record
        cache.move_to_end(record.session_key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)

    # -- faults -------------------------------------------------------------------------------

    async def count_call(self, client_id: str, partner_session_id: str, endpoint: str) -> int:
        """One more call of `endpoint` in this partner session; its 1-based number."""
        values = {"client_id": client_id, "partner_session_id": partner_session_id, "endpoint": endpoint, "calls": 1}
        async with self.write() as conn:
            return await increment(conn, t.fault_calls, values, "calls")

    async def session_key_of_document(self, reference: str) -> str | None:
        """The partner session (key) a presigned document reference belongs to."""
        query = (
            select(t.submissions.c.session_key)
            .join(t.documents, t.documents.c.submission_id == t.submissions.c.id)
            .where(t.documents.c.reference == reference)
        )
        async with self.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return str(value) if value is not None else None
