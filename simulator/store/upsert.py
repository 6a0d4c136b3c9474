"""`INSERT … ON CONFLICT` on SQLite and PostgreSQL alike: the one way the store writes a keyed row.

Never check-then-insert: two instances (or two requests) racing on the same key would both see it
missing and one would fail on the primary key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(conn: AsyncConnection, table: Table) -> Any:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


async def insert_or_ignore(conn: AsyncConnection, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert the row unless its key exists; True when this call inserted it."""
    result = await conn.execute(_insert(conn, table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


async def upsert(conn: AsyncConnection, table: Table, values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Insert the row, or update its non-key columns from `values` when the key `keys` exists."""
    statement = _insert(conn, table).values(**values)
    changed = {name: statement.excluded[name] for name in values if name not in keys}
    await conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changed))


async def increment(conn: AsyncConnection, table: Table, values: Mapping[str, Any], counter: str) -> int:
    """Insert the row with `values` (its counter at its first value), or add 1 to the counter; the count after."""
    statement = _insert(conn, table).values(**values)
    keys = [c.name for c in table.primary_key.columns]
    column = table.c[counter]
    statement = statement.on_conflict_do_update(index_elements=keys, set_={counter: column + 1})
    return int((await conn.execute(statement.returning(column))).scalar_one())
