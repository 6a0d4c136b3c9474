"""Bring a database to the current schema with Alembic: at every start and from `onekyc-sim db upgrade`.

On PostgreSQL the upgrade runs under a session advisory lock, so N instances starting together on an
empty database apply each migration once and the others wait, then find nothing to do. A database made
by the version before migrations (its tables exist, `alembic_version` does not) is stamped `0001` (that
version's schema) and upgraded in place. A database already at the head costs one read at start: Alembic
is imported and run only when there is something to apply.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# Any constant of our own: pg_advisory_lock keys are one bigint per database.
ADVISORY_LOCK_KEY = 0x0E_C5_1A_00_09
_ASSIGNED = r"^{name}\s*(?::[^=\n]*)?=\s*(.+)$"


def _config(connection: Connection | None) -> Config:
    from alembic.config import Config  # Alembic is imported only when a migration may run (~0.2 s)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head() -> str:
    """The newest revision this version ships, read from the migration files' `revision` and
    `down_revision` lines (the one revision no other revises) without importing Alembic; Alembic's
    own answer when the files do not name exactly one head (a merge, an unusual spelling)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.search(_ASSIGNED.format(name="revision"), source, re.MULTILINE)
        down = re.search(_ASSIGNED.format(name="down_revision"), source, re.MULTILINE)
        if found is None:
            continue
        revisions.add(found.group(1).strip().strip("\"'"))
        if down is not None:
            revised.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = revisions - revised
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_config(None)).get_current_head())


def current_revision(connection: Connection) -> str | None:
    """The revision `alembic_version` records, or None on a database without that table."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: Connection) -> str | None:
    from alembic import command

    config = _config(connection)
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables and "submissions" in tables:
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")
    return current_revision(connection)


async def _at_head(conn: AsyncConnection) -> bool:
    at = await conn.run_sync(current_revision)
    await conn.rollback()
    return at == head()


async def upgrade(engine: AsyncEngine) -> str | None:
    """Apply every migration the database lacks (under the advisory lock on PostgreSQL); the revision after."""
    async with engine.connect() as conn:
        if await _at_head(conn):  # the usual restart: one cheap read, no Alembic, no lock
            return head()
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
