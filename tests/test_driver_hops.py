"""The default SQLite driver (`simulator.store.one_hop_aiosqlite`): a write transaction hands off to the
driver thread once per statement whose outcome is read, plus once for COMMIT with every statement whose
outcome nobody reads; errors of those deferred statements still fail the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from simulator.store import tables as t
from simulator.store.db import make_engine
from simulator.store.migrate import upgrade
from simulator.store.one_hop_aiosqlite import UNREAD
from simulator.store.repository import Repository

pytestmark = pytest.mark.anyio


class Hops:
    """Counts the hand-offs to aiosqlite's thread (its `Connection._execute`, a library method)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Hops:
    counter = Hops()
    original = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return counter


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    """A repository on a fresh SQLite file, with nothing else (no job runner) using its connections."""
    engine: AsyncEngine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hops.db'}")
    await upgrade(engine)
    yield Repository(engine)
    await engine.dispose()


def _row(key: str) -> dict[str, Any]:
    return {"key": key, "value": {"n": 1}}


async def _keys(repo: Repository) -> set[str]:
    async with repo.engine.connect() as conn:
        return {r.key for r in await conn.execute(select(t.meta.c.key).where(t.meta.c.key.like("hop-%")))}


async def test_inserts_nobody_reads_go_with_the_commit_in_one_hop(repo: Repository, hops: Hops) -> None:
    hops.count = 0
    async with repo.write() as conn:
        for key in ("hop-a", "hop-b", "hop-c"):
            result = await conn.execute(t.meta.insert(), _row(key))
            assert result.rowcount == 1
        await conn.execute(t.meta.insert(), [_row("hop-d"), _row("hop-e")])
    assert hops.count == 1
    assert await _keys(repo) == {"hop-a", "hop-b", "hop-c", "hop-d", "hop-e"}


async def test_a_read_in_the_transaction_sees_the_deferred_rows_in_the_same_hop(repo: Repository, hops: Hops) -> None:
    hops.count = 0
    async with repo.write() as conn:
        await conn.execute(t.meta.insert(), _row("hop-seen"))
        seen = (await conn.execute(select(func.count()).where(t.meta.c.key == "hop-seen"))).scalar()
        assert hops.count == 1
    assert seen == 1
    assert hops.count == 2


async def test_an_update_marked_unread_is_deferred_and_an_unmarked_one_reports_its_rowcount(
    repo: Repository, hops: Hops
) -> None:
    async with repo.write() as conn:
        await conn.execute(t.meta.insert(), _row("hop-u"))
    hops.count = 0
    async with repo.write() as conn:
        await conn.execute(update(t.meta).prefix_with(UNREAD).where(t.meta.c.key == "hop-u").values(value={"n": 2}))
        assert hops.count == 0
        missed = await conn.execute(update(t.meta).where(t.meta.c.key == "hop-none").values(value={"n": 3}))
        assert missed.rowcount == 0
        assert hops.count == 1
    assert hops.count == 2
    async with repo.engine.connect() as conn:
        assert (await conn.execute(select(t.meta.c.value).where(t.meta.c.key == "hop-u"))).scalar() == {"n": 2}


async def test_a_deferred_duplicate_fails_the_commit_and_keeps_nothing_of_the_transaction(
    repo: Repository, hops: Hops
) -> None:
    async with repo.write() as conn:
        await conn.execute(t.meta.insert(), _row("hop-dup"))

    async def new_then_duplicate() -> None:
        async with repo.write() as conn:
            await conn.execute(t.meta.insert(), _row("hop-new"))
            await conn.execute(t.meta.insert(), _row("hop-dup"))

    with pytest.raises(IntegrityError):
        await new_then_duplicate()
    assert await _keys(repo) == {"hop-dup"}
    # The connection is clean afterwards: the next transaction commits only its own row.
    async with repo.write() as conn:
        await conn.execute(t.meta.insert(), _row("hop-after"))
    assert await _keys(repo) == {"hop-dup", "hop-after"}


async def test_a_deferred_duplicate_fails_the_next_statement_of_the_transaction(repo: Repository) -> None:
    async with repo.write() as conn:
        await conn.execute(t.meta.insert(), _row("hop-first"))

    async def duplicate_then_read() -> None:
        async with repo.write() as conn:
            await conn.execute(t.meta.insert(), _row("hop-first"))
            await conn.execute(select(t.meta.c.key))

    with pytest.raises(IntegrityError):
        await duplicate_then_read()
    assert await _keys(repo) == {"hop-first"}


async def test_a_rolled_back_transaction_drops_its_deferred_rows_without_a_hop(repo: Repository, hops: Hops) -> None:
    hops.count = 0

    async def abandoned() -> None:
        async with repo.write() as conn:
            await conn.execute(t.meta.insert(), _row("hop-gone"))
            raise RuntimeError("abandon")

    with pytest.raises(RuntimeError):
        await abandoned()
    assert hops.count == 0
    assert await _keys(repo) == set()
