"""Identical consecutive status polls are journaled as one counted entry, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Sim

from simulator.client import VendorClient
from simulator.services.journal.attribution import make_journal
from simulator.services.journal.buffer import JournalEntry

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]

STATUS = "/coe/v1/submissions/*/status"


async def _entries(sim: Sim, submission_id: str) -> list[dict[str, Any]]:
    response = await sim.http.get("/_sim/requests", params={"submissionId": submission_id, "order": "asc"})
    assert response.status_code == 200, response.text
    # The submission's GETs after the presign (`/coe/v1/submissions/urls`): status polls and details.
    return [r for r in response.json()["requests"] if r["method"] == "GET" and not r["path"].endswith("/urls")]


async def _verify(sim: Sim, body: dict[str, Any]) -> dict[str, Any]:
    response = await sim.http.post("/_sim/verify", json=body)
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


async def test_polls_written_in_separate_batches_extend_one_entry(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("coalesce-batches")
    submission_id = await vendor.capture(sdk)
    for _ in range(5):
        assert (await vendor.status(sdk, submission_id)).status_code == 200
        await sim.services.journal.flush()  # each poll in a batch of its own: the stored entry is extended
    [entry] = await _entries(sim, submission_id)
    assert (entry["path"], entry["repeats"]) == (f"/coe/v1/submissions/{submission_id}/status", 5)
    assert entry["firstAt"] == entry["at"]
    assert entry["lastAt"] >= entry["firstAt"]
    verdict = await _verify(sim, {"method": "GET", "path": STATUS, "count": 5})
    assert (verdict["ok"], verdict["matched"]) == (True, 5), verdict
    assert (await _verify(sim, {"method": "GET", "path": STATUS, "count": 1}))["ok"] is False
    listed = (await sim.http.get("/_sim/requests", params={"path": STATUS})).json()
    assert (listed["count"], listed["requestCount"]) == (1, 5)


async def test_only_consecutive_identical_polls_are_coalesced(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("coalesce-runs")
    submission_id = await vendor.capture(sdk)
    path = f"/coe/v1/submissions/{submission_id}/status"
    for _ in range(2):
        await vendor.status(sdk, submission_id)
    # Another request of the same submission in between ends the run.
    assert (await vendor.details(submission_id=submission_id)).status_code == 200
    for _ in range(3):
        await vendor.status(sdk, submission_id)
    # A poll that differs in one captured header is not identical.
    await sim.http.get(path, headers=sdk.headers() | {"x-request-id": "one"})
    await vendor.status(sdk, submission_id)
    # Nor is a poll answered differently (the submission completes).
    await sim.advance(60)
    for _ in range(2):
        await vendor.status(sdk, submission_id)
    runs = [(e["path"].rsplit("/", 1)[-1], e["repeats"]) for e in await _entries(sim, submission_id)]
    assert runs == [("status", 2), ("submissions", 1), ("status", 3), ("status", 1), ("status", 1), ("status", 2)]
    verdict = await _verify(sim, {"method": "GET", "path": STATUS, "submissionId": submission_id, "count": 9})
    assert verdict["ok"], verdict


async def test_an_entry_from_another_instance_in_between_starts_a_new_entry(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("coalesce-instances")
    submission_id = await vendor.capture(sdk)
    path = f"/coe/v1/submissions/{submission_id}/status"
    for _ in range(2):
        await vendor.status(sdk, submission_id)
    await sim.services.journal.flush()
    # A second instance's journal on the same database writes a poll of that submission.
    other = make_journal(sim.services.settings, sim.services.repo, sim.services.tokens)
    other.record(
        JournalEntry("inbound", "vendor", sim.services.clock.now(), "GET", path, 200, 1.0, submission_id=submission_id)
    )
    assert await other.flush() == 1
    for _ in range(3):
        await vendor.status(sdk, submission_id)
    await sim.services.journal.flush()
    repeats = [e["repeats"] for e in await _entries(sim, submission_id) if e["path"] == path]
    assert repeats == [2, 1, 3]  # this instance's run did not swallow polls across the other's entry
