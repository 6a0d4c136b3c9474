"""The journal table's write statements: rows inserted in order with their ids, and runs of repeated polls
extended in place (`services.journal.coalesce`). Used by `journal_rows.JournalStore.append`, inside its
write transaction.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.store import tables as t

if TYPE_CHECKING:
    from simulator.services.journal.coalesce import Merge

j = t.journal.c
Row = tuple[Any, ...]
COLUMNS = tuple(c.name for c in t.journal.c if c.name != "id")  # a row's values, in this order

STATEMENT_SIZES = (128, 64, 32, 16, 8, 4, 2, 1)  # rows per INSERT: few distinct statements to prepare


@functools.cache
def multirow_insert(rows: int) -> str:
    """SQLite's INSERT of `rows` rows in one statement.

    One statement is one step for the driver thread; an executemany steps once per row, and each step
    hands the GIL back and forth with the busy event loop, so a large batch would crawl. Only the sizes
    of `STATEMENT_SIZES` are used, so the driver's statement cache holds a handful of statements.
    """
    group = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    return f"INSERT INTO {t.journal.name} ({', '.join(COLUMNS)}) VALUES " + ", ".join([group] * rows)


# Extend a row with requests that repeat it, only while it is still the newest row of its submission.
_MERGE = (
    update(t.journal)
    .where(
        j.id == bindparam("row_id"),
        j.at == bindparam("row_at"),
        j.id == select(func.max(j.id)).where(j.submission_id == bindparam("row_submission")).scalar_subquery(),
    )
    .values(repeats=j.repeats + bindparam("more"), last_at=bindparam("last_time"))
)


async def merge_runs(conn: AsyncConnection, merges: Sequence[Merge]) -> list[Merge]:
    """Apply the merges in one executemany; those that did not apply (their row is gone or no longer the
    newest of its submission). A merged row's `repeats` is then exactly `Merge.total`: only this instance
    extends it, so a row holding another count was not updated."""
    if not merges:
        return []
    params = [
        {
            "row_id": m.row_id,
            "row_at": m.at,
            "row_submission": m.submission_id,
            "more": m.repeats,
            "last_time": m.last_at,
        }
        for m in merges
    ]
    result = await conn.execute(_MERGE, params)
    if conn.dialect.supports_sane_multi_rowcount and result.rowcount == len(merges):
        return []
    ids = [m.row_id for m in merges]
    now = {row.id: row.repeats for row in await conn.execute(select(j.id, j.repeats).where(j.id.in_(ids)))}
    return [m for m in merges if now.get(m.row_id) != m.total]


async def insert_rows(conn: AsyncConnection, rows: Sequence[Row]) -> list[int]:
    """Insert `rows` in order; their ids, in the same order."""
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        statement = insert(t.journal).returning(j.id, sort_by_parameter_order=True)
        result = await conn.execute(statement, [dict(zip(COLUMNS, row, strict=True)) for row in rows])
        return list(result.scalars())
    start = 0
    for size in STATEMENT_SIZES:
        while len(rows) - start >= size:
            chunk = rows[start : start + size]
            await conn.exec_driver_sql(multirow_insert(size), tuple(itertools.chain.from_iterable(chunk)))
            start += size
    # One writer at a time on SQLite, and a table without AUTOINCREMENT takes max(rowid) + 1 for each new
    # row: the rows of this transaction have consecutive ids ending at the last one inserted.
    last = int((await conn.exec_driver_sql("SELECT last_insert_rowid()")).scalar() or 0)
    return list(range(last - len(rows) + 1, last + 1))
