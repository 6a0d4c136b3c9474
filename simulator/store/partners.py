"""Partners and meta rows (the signing key, the runtime-partner list): keyed rows, written by upsert.

Every partner change is announced (`partners`), so every instance reloads its partners at once.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.upsert import insert_or_ignore, upsert


class PartnerStore:
    """Partner and meta statements; a base of `Repository`."""

    if TYPE_CHECKING:
        engine: AsyncEngine
        instance_id: str

        def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    # -- meta ---------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(t.meta.c.value).where(t.meta.c.key == key))).scalar()

    async def set_meta(self, key: str, value: Any) -> None:
        async with self.write() as conn:
            await upsert(conn, t.meta, {"key": key, "value": value}, ["key"])

    async def change_meta_set(self, key: str, add: str | None = None, remove: str | None = None) -> None:
        """Add `add` to / remove `remove` from the sorted list of strings at `key`, atomically: the row is
        locked for the read-modify-write (`FOR UPDATE` on PostgreSQL; SQLite has one writer)."""
        m = t.meta.c
        async with self.write() as conn:
            await insert_or_ignore(conn, t.meta, {"key": key, "value": []})
            current = (await conn.execute(select(m.value).where(m.key == key).with_for_update())).scalar()
            values = set(current or [])
            if add is not None:
                values.add(add)
            if remove is not None:
                values.discard(remove)
            await conn.execute(update(t.meta).where(m.key == key).values(value=sorted(values)))

    # -- partners -----------------------------------------------------------------------------

    async def upsert_partner(self, client_id: str, config: dict[str, Any], now: float) -> None:
        async with self.write() as conn:
            await upsert(conn, t.partners, {"client_id": client_id, "config": config, "updated_at": now}, ["client_id"])
            await publish(conn, self.instance_id, "partners")

    async def delete_partner(self, client_id: str) -> None:
        async with self.write() as conn:
            await conn.execute(delete(t.partners).where(t.partners.c.client_id == client_id))
            await publish(conn, self.instance_id, "partners")

    async def list_partners(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.partners.c.config).order_by(t.partners.c.client_id))
            return [dict(r[0]) for r in rows]
