"""Partners and meta rows (the signing key, the runtime-partner list): keyed rows, written by upsert.

Every partner change is announced (`partners`), so every instance reloads its partners at once.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from simulator.store import tables as t
from simulator.store.changes import publish
from simulator.store.upsert import upsert


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
