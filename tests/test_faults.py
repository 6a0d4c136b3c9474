"""Scenario faults on vendor endpoints, through the real ASGI stack (every error body is schema-checked)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import Sim, SimFactory

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.gateway.fault_injection import DroppedConnection
from simulator.settings import Settings

pytestmark = pytest.mark.anyio


async def _bind(sim: Sim, psid: str, faults: list[dict[str, Any]], **script: Any) -> None:
    body = {"scenario": f"faults-{psid}", "script": {"faults": faults, **script}}
    response = await sim.http.put(f"/_sim/bindings/{psid}", json=body)
    assert response.status_code == 200, response.text


async def _polls(vendor: VendorClient, sdk: SdkSession, submission_id: str, count: int) -> list[int]:
    return [(await vendor.status(sdk, submission_id)).status_code for _ in range(count)]


async def test_nth_call_faults_answer_the_documented_error(sim: Sim, vendor: VendorClient) -> None:
    await _bind(sim, "nth", [{"endpoint": "status", "on_calls": [2, 4], "status": 500}])
    sdk = await vendor.launch("nth")
    submission_id = await vendor.capture(sdk)
    assert await _polls(vendor, sdk, submission_id, 5) == [200, 500, 200, 500, 200]
    await _bind(sim, "nth-body", [{"endpoint": "status", "on_calls": [1], "status": 500}])
    sdk = await vendor.launch("nth-body")
    submission_id = await vendor.capture(sdk)
    error = await vendor.status(sdk, submission_id)
    assert error.json() == {"success": False, "errors": [{"code": "900", "cause": "SOMETHING_WENT_WRONG"}]}


async def test_a_faulted_poll_is_not_a_poll(sim: Sim, vendor: VendorClient) -> None:
    await _bind(sim, "polls", [{"endpoint": "status", "on_calls": [1], "status": 500}], attempts=[{"after_polls": 2}])
    sdk = await vendor.launch("polls")
    submission_id = await vendor.capture(sdk)
    seen = [(await vendor.status(sdk, submission_id)) for _ in range(3)]
    assert [r.status_code for r in seen] == [500, 200, 200]
    assert [r.json()["data"]["status"] for r in seen[1:]] == ["IN_PROGRESS", "COMPLETED"]


async def test_initiate_fault_before_the_session_exists(sim: Sim, vendor: VendorClient) -> None:
    await _bind(sim, "init", [{"endpoint": "initiate", "on_calls": [1], "status": 500}])
    first = await vendor.initiate("init")
    assert first.status_code == 500
    assert first.json()["errors"] == [{"code": "900", "cause": "GENERIC_SERVICE_ERROR"}]
    assert (await vendor.initiate("init")).status_code == 200


async def test_confirm_upload_and_details_faults(sim: Sim, vendor: VendorClient) -> None:
    faults = [
        {"endpoint": "upload", "on_calls": [1], "status": 503},
        {"endpoint": "confirm", "on_calls": [1], "status": 503},
        {"endpoint": "details", "on_calls": [1], "status": 403},
    ]
    await _bind(sim, "several", faults)
    sdk = await vendor.launch("several")
    data = (await vendor.presign(sdk)).json()["data"]
    url = data["documents"]["SELFIE"]["documentUrl"]
    assert (await vendor.upload(url, sample_jpeg())).status_code == 503
    assert (await vendor.upload(url, sample_jpeg())).status_code == 200
    refused = await vendor.confirm(sdk, data["submissionId"])
    assert (refused.status_code, refused.json()["errors"][0]["cause"]) == (503, "SERVICE_UNAVAILABLE")
    assert (await vendor.confirm(sdk, data["submissionId"])).status_code == 200
    details = await vendor.details(partner_session_id="several")
    assert details.json() == {"success": False, "data": None, "errors": [{"code": 903, "cause": "FORBIDDEN"}]}
    assert (await vendor.details(partner_session_id="several")).status_code == 200


async def test_dropped_connection_reaches_no_handler(sim: Sim, vendor: VendorClient) -> None:
    await _bind(sim, "drop", [{"endpoint": "confirm", "on_calls": [1], "drop_connection": True}])
    sdk = await vendor.launch("drop")
    data = (await vendor.presign(sdk)).json()["data"]
    await vendor.upload(data["documents"]["SELFIE"]["documentUrl"], sample_jpeg())
    with pytest.raises(DroppedConnection):
        await vendor.confirm(sdk, data["submissionId"])
    assert (await vendor.confirm(sdk, data["submissionId"])).status_code == 200


async def test_latency_delays_the_answer(sim: Sim, vendor: VendorClient) -> None:
    await _bind(sim, "slow", [{"endpoint": "presign", "latency_seconds": 0.2}])
    sdk = await vendor.launch("slow")
    started = time.perf_counter()
    assert (await vendor.presign(sdk)).status_code == 200
    assert time.perf_counter() - started >= 0.2


async def _random_polls(sim: Sim, psid: str, fault: dict[str, Any]) -> list[int]:
    await _bind(sim, psid, [{"endpoint": "status", "status": 500, **fault}])
    vendor = sim.vendor()
    sdk = await vendor.launch(psid)
    submission_id = await vendor.capture(sdk)
    return await _polls(vendor, sdk, submission_id, 30)


async def test_fault_seed_repeats_in_every_session(sim: Sim) -> None:
    first = await _random_polls(sim, "seeded-a", {"probability": 0.5, "seed": 11})
    second = await _random_polls(sim, "seeded-b", {"probability": 0.5, "seed": 11})
    other = await _random_polls(sim, "seeded-c", {"probability": 0.5, "seed": 12})
    assert first == second
    assert first != other
    assert 5 < first.count(500) < 25


async def test_simulator_seed_repeats_probabilistic_faults(sim_factory: SimFactory, settings: Settings) -> None:
    runs = []
    for n, seed in enumerate((42, 42, 43)):
        sim = await sim_factory(settings.model_copy(update={"seed": seed, "database": f"{settings.database}.{n}"}))
        runs.append(await _random_polls(sim, "same-session", {"probability": 0.5}))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert 5 < runs[0].count(500) < 25
