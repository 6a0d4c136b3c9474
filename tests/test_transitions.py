"""`advance(from, to, cause)`: the one way a submission's status moves, checked against the transition table."""

from __future__ import annotations

import pytest
from conftest import Sim
from sqlalchemy import select

from simulator.domain.states import Status
from simulator.errors import Conflict
from simulator.store import tables as t
from simulator.store import transitions

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]


async def _submission(sim: Sim) -> str:
    vendor = sim.vendor()
    sdk = await vendor.launch("moves")
    presigned = (await vendor.presign(sdk)).json()["data"]
    return str(presigned["submissionId"])


async def test_a_move_outside_the_table_is_refused_before_any_write(sim: Sim) -> None:
    submission_id = await _submission(sim)
    repo = sim.services.repo
    with pytest.raises(Conflict):
        async with repo.write() as conn:
            await transitions.advance(
                conn, repo.instance_id, submission_id, "k", Status.INITIATED, Status.COMPLETED, 0.0, "test"
            )
    assert (await repo.get_submission(submission_id)).status is Status.INITIATED  # type: ignore[union-attr]


async def test_a_move_from_a_state_the_submission_left_changes_nothing(sim: Sim) -> None:
    submission_id = await _submission(sim)
    repo = sim.services.repo
    async with repo.write() as conn:
        moved = await transitions.advance(
            conn, repo.instance_id, submission_id, "k", Status.IN_PROGRESS, Status.ERROR, 0.0, "test"
        )
        rows = (await conn.execute(select(t.transitions.c.to_status).where(t.transitions.c.cause == "test"))).all()
    assert (moved, rows) == (False, [])
    assert (await repo.get_submission(submission_id)).status is Status.INITIATED  # type: ignore[union-attr]
