"""`--seed` with a frozen clock at a fixed instant: two fresh simulators hand out identical ids and tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_URL, Sim

from simulator.settings import Settings

pytestmark = pytest.mark.anyio


async def _run(sim: Sim) -> list[str]:
    frozen = await sim.http.post("/_sim/clock/freeze", json={"at": "2026-01-01T00:00:00Z"})
    assert frozen.status_code == 200
    vendor = sim.vendor()
    sdk = await vendor.launch("seeded")
    submission_id = await vendor.capture(sdk)
    assert vendor.partner_token is not None
    return [vendor.partner_token, sdk.token, submission_id]


async def test_a_seed_makes_ids_and_tokens_repeat(sim_factory: Any, tmp_path: Path) -> None:
    def settings(name: str, seed: int) -> Settings:
        return Settings(database=str(tmp_path / f"{name}.db"), public_base_url=BASE_URL, seed=seed)

    first = await _run(await sim_factory(settings("a", 42)))
    second = await _run(await sim_factory(settings("b", 42)))
    other = await _run(await sim_factory(settings("c", 43)))
    assert first == second
    assert all(a != c for a, c in zip(first, other, strict=True))
