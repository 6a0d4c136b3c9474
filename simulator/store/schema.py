"""Bring a database to the current schema with Alembic: at every start and from `onekyc-sim db upgrade`.

On PostgreSQL the upgrade runs under a session advisory lock, so N instances starting together on an
empty database apply each migration once and the others wait, then find nothing to do. A database made
by the version before migrations (its tables exist, `alembic_version` does not) is stamped `0001` (that
version's schema) and upgraded in place.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# Any constant of our own: pg_advisory_lock keys are one bigint per database.
ADVISORY_LOCK_KEY = 0x0E_C5_1A_00_09


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this version ships."""
    return str(ScriptDirectory.from_config(_config(None)).get_current_head())  # type: ignore[arg-type]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> str | None:
    config = _config(connection)
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables and "submissions" in tables:
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")
    return current_revision(connection)


async def upgrade(engine: AsyncEngine) -> str | None:
    """Apply every migration the database lacks (under the advisory lock on PostgreSQL); the revision after."""
    async with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            await conn.commit()
        try:
            revision = await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if postgres:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                await conn.commit()
    return revision
