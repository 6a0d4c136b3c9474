"""Start to ready: what `onekyc-sim serve` does not load or run before it serves (no timing assertions).

Each check runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from simulator.cli import main
from simulator.store import migrate
from simulator.store.db import make_engine

NOT_FOR_SERVING = ("alembic", "simulator.scenarios.replay", "simulator.testing_receiver", "httpx._main", "rich")


def _fresh_interpreter(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_serving_modules_leave_migrations_the_replay_tool_and_httpx_cli_unimported() -> None:
    loaded = _fresh_interpreter(
        "import json, sys, simulator.cli, simulator.app, simulator.runtime\n"
        f"print(json.dumps([m for m in {list(NOT_FOR_SERVING)!r} if sys.modules.get(m) is not None]))"
    )
    assert loaded == []


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert migrate.head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_at_head_is_checked_without_alembic(tmp_path: Path) -> None:
    database = tmp_path / "at-head.db"
    assert main(["db", "upgrade", "--database", str(database)]) == 0
    found = _fresh_interpreter(
        "import asyncio, json, sys\n"
        "from simulator.store.db import make_engine\n"
        "from simulator.store.migrate import upgrade\n"
        "async def go():\n"
        f"    engine = make_engine('sqlite+aiosqlite:///{database}')\n"
        "    try:\n"
        "        return await upgrade(engine)\n"
        "    finally:\n"
        "        await engine.dispose()\n"
        "revision = asyncio.run(go())\n"
        "print(json.dumps([revision, 'alembic' in sys.modules]))"
    )
    assert found == [migrate.head(), False]


@pytest.mark.anyio
async def test_an_empty_database_is_still_migrated_at_start(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await migrate.upgrade(engine) == migrate.head()
        async with engine.connect() as conn:
            assert await conn.run_sync(migrate.current_revision) == migrate.head()
    finally:
        await engine.dispose()
