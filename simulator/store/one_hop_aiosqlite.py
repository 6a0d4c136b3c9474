"""aiosqlite with one hand-off to its thread per statement: the default SQLite driver's DBAPI module.

aiosqlite runs every DBAPI call on its own thread and hands each result back through the event loop.
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch all, close),
and one more per commit or rollback, even when nothing was written: under load each hop waits for a
turn of a busy loop, and the benchmark measured 4.6 hops per statement, a third of a core.

`ONE_HOP_DBAPI` keeps aiosqlite, its connection and its thread, but does a statement's whole DBAPI
work (cursor, execute, fetch, close) in one call on the thread, and skips the hop of a commit or a
rollback when the connection holds no open transaction (a read-only use of a pooled connection). The
engine factory (`simulator.store.db.make_engine`) passes it as the `module` of a `sqlite+aiosqlite`
engine, so the URL, the dialect and its SQL are the same as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """On the driver thread: a statement's execute, fetch and close in one call."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class Cursor:
    """The aiosqlite cursor API, executed in one hop; results are buffered (rows are small here)."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> Cursor:
        return self

    async def _hop(self, sql: str, parameters: Any, many: bool) -> Cursor:
        outcome: _Outcome = await self._connection._execute(  # type: ignore[no-untyped-call]  # aiosqlite's
            _run, self._connection._conn, sql, parameters, many
        )
        description, rows, rowcount, lastrowid = outcome
        self.description, self.rowcount, self.lastrowid = description, rowcount, lastrowid
        self._rows = rows or []
        return self

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        return await self._hop(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        return await self._hop(sql, parameters, True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


class Connection(aiosqlite.Connection):
    """aiosqlite's connection whose cursors hop once per statement, and whose commit and rollback
    do not hop when no transaction is open (reading `in_transaction` is safe: the connection is
    idle between the awaited calls of its one user)."""

    def cursor(self) -> Cursor:  # type: ignore[override]  # a cursor at once, not a hop to make one
        return Cursor(self)

    async def commit(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().rollback()


def connect(database: Any, *, iter_chunk_size: int = 64, **kwargs: Any) -> Connection:
    """`aiosqlite.connect`, making a `Connection` of this module."""
    location = database.decode("utf-8") if isinstance(database, bytes) else str(database)

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(location, **kwargs)
        return connection

    return Connection(connector, iter_chunk_size)


_MODULE = SimpleNamespace(**{name: getattr(aiosqlite, name) for name in aiosqlite.__all__})
_MODULE.connect = connect
_MODULE.Connection = Connection
_MODULE.sqlite_version = sqlite3.sqlite_version
_MODULE.sqlite_version_info = sqlite3.sqlite_version_info


def one_hop_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module for `create_async_engine(..., module=...)` of a `sqlite+aiosqlite` URL."""
    return AsyncAdapt_aiosqlite_dbapi(_MODULE, sqlite3)  # type: ignore[arg-type]  # a module look-alike
