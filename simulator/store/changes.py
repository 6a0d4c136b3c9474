"""Telling the other instances what a transaction changed: PostgreSQL NOTIFY on one channel.

A payload is `<origin instance> <topic> <key>`; NOTIFY is transactional, so it reaches the listeners
when (and only if) the change commits. Topics: `sub` (a submission, by id), `session` (by key), `script`
(a session's scenario script, by session key), `reset`, `partners`, `revoked` (a token id), `clock`
(key: `<offset> <frozen at or ->`), `jobs` (a job was added, finished or released). SQLite has no
NOTIFY: there `publish` does nothing and other processes notice changes by polling (see
`simulator.services.coherence`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "onekyc_sim"


async def publish(conn: AsyncConnection, origin: str, topic: str, key: str = "") -> None:
    """Announce a change with the transaction of `conn` (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_notify(CHANNEL, f"{origin} {topic} {key}")))


def parse(payload: str) -> tuple[str, str, str]:
    """(origin, topic, key) of a payload."""
    origin, _, rest = payload.partition(" ")
    topic, _, key = rest.partition(" ")
    return origin, topic, key
