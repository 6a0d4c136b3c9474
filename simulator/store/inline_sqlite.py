"""SQLite for the async engine without a thread hop per call: the `sqlite+inline://` dialect.

aiosqlite runs every DBAPI call (cursor, execute, fetch, close, commit) on its own thread and hands
the result back through the event loop. Under load each hop waits for a turn of a busy loop, and the
repository's write lock is held across all of them, so writes crawl: the benchmark measured ten times
fewer flows per second than with the calls made in place. SQLite calls on a local file in WAL mode
take microseconds, so this dialect makes them inline, through the same SQLAlchemy adapter classes as
aiosqlite (the calls are coroutines that finish without suspending). Writers in the process are
serialized by the repository, so a call only waits on the disk or on another process's lock.

Opt-in: a plain file path uses aiosqlite (the project's fixed choice); `--database
sqlite+inline:///PATH` selects this dialect.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite


class _Cursor:
    """The aiosqlite cursor API over a sqlite3 cursor, each coroutine completing at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _Cursor:
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = None) -> _Cursor:
        self._cursor.execute(sql, parameters or ())
        return self

    async def executemany(self, sql: str, parameters: Any) -> _Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Stands in for aiosqlite's request queue (SQLAlchemy sets the isolation level through it)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[Any, Any]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class Connection:
    """The aiosqlite connection API over a sqlite3 connection opened when awaited."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._kwargs = {**kwargs, "check_same_thread": False}
        self._conn: sqlite3.Connection | None = None
        self._thread = SimpleNamespace(daemon=True)
        self._tx = _RunNow(self)

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("no active connection")
        return self._conn

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._connect().__await__()

    async def _connect(self) -> Connection:
        self._conn = sqlite3.connect(*self._args, **self._kwargs)
        return self

    def cursor(self) -> _Cursor:
        return _Cursor(self._open().cursor())

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    async def commit(self) -> None:
        self._open().commit()

    async def rollback(self) -> None:
        self._open().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_ERRORS = ("DatabaseError", "Error", "IntegrityError", "NotSupportedError", "OperationalError", "ProgrammingError")
_MODULE = SimpleNamespace(
    connect=Connection,
    Connection=Connection,
    sqlite_version=sqlite3.sqlite_version,
    sqlite_version_info=sqlite3.sqlite_version_info,
    **{name: getattr(sqlite3, name) for name in _ERRORS},
)


class InlineSQLiteDialect(SQLiteDialect_aiosqlite):
    driver = "inline"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return AsyncAdapt_aiosqlite_dbapi(_MODULE, sqlite3)  # type: ignore[arg-type]  # a module look-alike


registry.register("sqlite.inline", __name__, "InlineSQLiteDialect")
