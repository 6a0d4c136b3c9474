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

A write transaction goes further: a statement whose outcome nobody reads (an INSERT without RETURNING
or ON CONFLICT, or an UPDATE marked `unread`, see `UNREAD`) does not hop at all. It waits on the
connection and goes with the next hop: before the next statement (which then sees it), or with the
COMMIT. So a transaction of one conditional UPDATE ... RETURNING and its follow-up inserts is two hops,
the statement and the commit. A deferred statement's error (an IntegrityError, "database is locked")
surfaces from that next hop, inside the same transaction, which SQLAlchemy then rolls back: callers
that turn IntegrityError into DuplicateError catch it around the whole transaction, commit included.
A deferred statement reports rowcount 1 (an executemany: its number of parameter sets) and no lastrowid.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

_Outcome = tuple[Any, list[Any] | None, int, int | None]
_Statement = tuple[str, Any, bool]

UNREAD = "/* unread */"
"""A prefix for an UPDATE whose rowcount nobody reads (`update(table).prefix_with(UNREAD)`): it may be
sent with the next hop. A plain SQL comment to every other database."""


def deferrable(sql: str) -> bool:
    """True for a statement whose outcome nobody reads: INSERT INTO without RETURNING or ON CONFLICT
    (whose rowcount tells whether a row was taken), or an UPDATE prefixed with `UNREAD`."""
    if sql.startswith("INSERT INTO "):
        return "RETURNING" not in sql and "ON CONFLICT" not in sql
    return sql.startswith("UPDATE " + UNREAD) and "RETURNING" not in sql


def _flush(conn: sqlite3.Connection, pending: list[_Statement]) -> None:
    """On the driver thread: the deferred statements, in order."""
    for sql, parameters, many in pending:
        if many:
            conn.executemany(sql, parameters).close()
        else:
            conn.execute(sql, parameters).close()


def _commit(conn: sqlite3.Connection, pending: list[_Statement]) -> None:
    """On the driver thread: the deferred statements, then COMMIT (if a transaction is open)."""
    _flush(conn, pending)
    if conn.in_transaction:
        conn.commit()


def _run(conn: sqlite3.Connection, pending: list[_Statement], sql: str, parameters: Any, many: bool) -> _Outcome:
    """On the driver thread: the deferred statements, then a statement's execute, fetch and close."""
    _flush(conn, pending)
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
        connection = self._connection
        if deferrable(sql):
            if many:
                parameters = list(parameters)
            connection.pending.append((sql, parameters, many))
            self.description, self.lastrowid, self._rows = None, None, []
            self.rowcount = len(parameters) if many else 1
            return self
        pending, connection.pending = connection.pending, []
        outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]  # aiosqlite's
            _run, connection._conn, pending, sql, parameters, many
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
    """aiosqlite's connection whose cursors hop once per statement (none for a deferrable one), whose
    commit sends the deferred statements with the COMMIT in one hop, and whose commit and rollback do
    not hop when there is nothing to do (reading `in_transaction` is safe: the connection is idle
    between the awaited calls of its one user)."""

    def __init__(self, connector: Any, iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self.pending: list[_Statement] = []
        """Deferred statements (sql, parameters, executemany), sent with the next hop."""

    def cursor(self) -> Cursor:  # type: ignore[override]  # a cursor at once, not a hop to make one
        return Cursor(self)

    async def commit(self) -> None:
        pending, self.pending = self.pending, []
        if self._connection is not None and (pending or self._connection.in_transaction):
            await self._execute(_commit, self._connection, pending)  # type: ignore[no-untyped-call]  # aiosqlite's

    async def rollback(self) -> None:
        self.pending = []
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
