"""Partner sessions: created once per partner session id, read on every vendor call (so cached).

`SessionStore` is mixed into `Repository`, which owns the cache and its invalidation (`drop_session`
when another instance changes a session, `forget` on a reset).
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.errors import DuplicateError
from simulator.store.records import SessionRecord, session_of

_CACHE_SIZE = 5_000
_FIND_SESSION = select(t.partner_sessions).where(
    t.partner_sessions.c.client_id == bindparam("cid"),
    t.partner_sessions.c.partner_session_id == bindparam("psid"),
)


class SessionStore:
    """Partner-session statements; a base of `Repository`."""

    if TYPE_CHECKING:
        engine: AsyncEngine
        instance_id: str
        _epoch: int
        _sessions: OrderedDict[str, SessionRecord]
        _session_keys: dict[tuple[str, str], str]

        def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    async def create_session(self, record: SessionRecord) -> None:
        values = {name: getattr(record, name) for name in t.partner_sessions.c.keys()}  # noqa: SIM118 (a column collection, not a dict)
        try:
            async with self.write() as conn:
                await conn.execute(insert(t.partner_sessions).values(**values))
        except IntegrityError as exc:
            raise DuplicateError(record.partner_session_id) from exc
        self._remember_session(record)

    def _remember_session(self, record: SessionRecord) -> None:
        self._sessions[record.key] = record
        self._session_keys[(record.client_id, record.partner_session_id)] = record.key
        while len(self._sessions) > _CACHE_SIZE:
            self._sessions.popitem(last=False)
        if len(self._session_keys) > _CACHE_SIZE:
            self._session_keys.clear()  # keys only: rebuilt by the next look-ups

    async def get_session(self, key: str) -> SessionRecord | None:
        cached = self._sessions.get(key)
        if cached is not None:
            return cached
        epoch = self._epoch
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.partner_sessions).where(t.partner_sessions.c.key == key))).first()
        if row is None:
            return None
        record = session_of(row)
        if epoch == self._epoch:  # no other instance's change dropped entries meanwhile
            self._remember_session(record)
        return record

    async def find_session(self, client_id: str, partner_session_id: str) -> SessionRecord | None:
        """The session of a partner session id; through the cache when its key is known (a key never
        changes; a session deleted meanwhile is not found by key and is looked up again)."""
        key = self._session_keys.get((client_id, partner_session_id))
        if key is not None:
            found = await self.get_session(key)
            if found is not None and (found.client_id, found.partner_session_id) == (client_id, partner_session_id):
                return found
        async with self.engine.connect() as conn:
            row = (await conn.execute(_FIND_SESSION, {"cid": client_id, "psid": partner_session_id})).first()
        return session_of(row) if row else None

    async def set_session_scenario(self, key: str, scenario: str, max_attempts: int) -> SessionRecord | None:
        """Script the session's next confirms with `scenario` (the Web SDK page's scripted outcome)."""
        async with self.write() as conn:
            row = (
                await conn.execute(
                    update(t.partner_sessions)
                    .where(t.partner_sessions.c.key == key)
                    .values(scenario=scenario, max_attempts=max_attempts)
                    .returning(*t.partner_sessions.c)
                )
            ).first()
            await publish(conn, self.instance_id, "session", key)
        if row is None:
            return None
        record = self._sessions[key] = session_of(row)
        return record
