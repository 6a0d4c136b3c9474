"""The schema is Alembic's: fresh databases, databases of the version before migrations, `onekyc-sim db upgrade`."""

from __future__ import annotations

import pytest
from legacy_tables import metadata as legacy_metadata
from sqlalchemy import insert, inspect, select, text

from simulator.cli import main
from simulator.settings import Settings
from simulator.store import tables as t
from simulator.store.db import make_engine
from simulator.store.migrate import head, upgrade

pytestmark = pytest.mark.both_databases


@pytest.mark.anyio
async def test_a_database_of_the_version_before_migrations_is_stamped_and_upgraded_in_place(
    settings: Settings,
) -> None:
    engine = make_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            for table in reversed(t.metadata.sorted_tables):
                await conn.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
            await conn.run_sync(legacy_metadata.create_all)
            await conn.execute(
                insert(legacy_metadata.tables["meta"]).values(key="clock", value={"offset": 0.0, "frozenAt": 1.8e9})
            )
            jobs = legacy_metadata.tables["jobs"]
            values = {"kind": "deliver-callback", "ref": "cb-1", "due_at": 1.0, "state": "running", "attempts": 0}
            await conn.execute(insert(jobs).values(**values, created_at=1.0, updated_at=1.0))
            poll = {"at": 2.0, "direction": "inbound", "kind": "vendor", "method": "GET", "path": "/p", "url": "/p"}
            await conn.execute(insert(legacy_metadata.tables["journal"]).values(**poll, latency_ms=1.0))

        assert await upgrade(engine) == head()

        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("jobs")})
            assert {"owner", "lease_until"} <= columns
            job = (await conn.execute(select(t.jobs.c.state, t.jobs.c.owner, t.jobs.c.attempts))).one()
            assert tuple(job) == ("running", None, 0)  # kept as it was: its missing lease makes it claimable
            entry = (await conn.execute(select(t.journal.c.repeats, t.journal.c.last_at))).one()
            assert tuple(entry) == (1, None)  # 0003: an entry written before coalescing stands for one request
        assert await upgrade(engine) == head()  # idempotent
    finally:
        await engine.dispose()


def test_db_upgrade_command_migrates_and_says_where_it_is(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", settings.database]) == 0
    assert f"is at schema revision {head()}" in capsys.readouterr().out
