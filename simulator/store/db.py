"""Engine factory: SQLite in WAL mode with a busy timeout, or any SQLAlchemy async URL (PostgreSQL: asyncpg).

A `sqlite+aiosqlite` URL runs on aiosqlite with one hand-off to its thread per statement whose outcome is
read, the others going with the next hand-off or the COMMIT (`simulator.store.one_hop_aiosqlite`), instead
of SQLAlchemy's four per statement.

The schema is not made here: `simulator.store.migrate.upgrade` applies the Alembic migrations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from simulator.store import inline_sqlite  # noqa: F401  (registers the sqlite+inline dialect)
from simulator.store.one_hop_aiosqlite import one_hop_dbapi

SQLITE_POOL_SIZE = 16


def make_engine(url: str) -> AsyncEngine:
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
        if make_url(url).get_driver_name() == "aiosqlite":
            kwargs["module"] = one_hop_dbapi()
        # Every connection is a thread and a file handle: keep enough of them pooled that a burst of
        # requests does not open (a thread start, the pragmas) and close overflow connections each time.
        if make_url(url).database not in (None, "", ":memory:"):
            kwargs["pool_size"] = SQLITE_POOL_SIZE
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine
