"""Engine factory: SQLite in WAL mode with a busy timeout, or any SQLAlchemy async URL (PostgreSQL: asyncpg).

The schema is not made here: `simulator.store.schema.upgrade` applies the Alembic migrations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from simulator.store import inline_sqlite  # noqa: F401  (registers the sqlite+inline dialect)


def make_engine(url: str) -> AsyncEngine:
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
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
