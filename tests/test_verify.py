"""`POST /_sim/verify`: present, absent, miscounted and out-of-order requests, and malformed queries."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Sim

from simulator.client import VendorClient
from simulator.partners import SAMPLE_CLIENT_ID

pytestmark = pytest.mark.anyio

STATUS = "/coe/v1/submissions/*/status"


async def _verify(sim: Sim, body: dict[str, Any]) -> dict[str, Any]:
    response = await sim.http.post("/_sim/verify", json=body)
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


@pytest.fixture
async def polled(sim: Sim, vendor: VendorClient) -> str:
    """One session: token, initiate, presign, upload, confirm, then two status polls."""
    sdk = await vendor.launch("verify-1")
    submission_id = await vendor.capture(sdk)
    await vendor.status(sdk, submission_id)
    await vendor.status(sdk, submission_id)
    return submission_id


async def test_present_requests(sim: Sim, polled: str) -> None:
    exactly = await _verify(sim, {"method": "GET", "path": STATUS, "count": 2, "clientId": SAMPLE_CLIENT_ID})
    assert exactly["ok"] is True
    assert (exactly["matched"], exactly["expected"]) == (2, "exactly 2")
    # The two identical polls are one journal entry standing for both.
    assert [(r["submissionId"], r["repeats"]) for r in exactly["requests"]] == [(polled, 2)]
    assert (await _verify(sim, {"path": "/coe-partner/v1/initiate-flow"}))["ok"] is True
    assert (await _verify(sim, {"path": STATUS, "atLeast": 1, "atMost": 2, "status": "2xx"}))["ok"] is True
    assert (await _verify(sim, {"submissionId": polled, "kind": "storage", "method": "PUT", "status": 200}))["ok"]


async def test_absent_requests(sim: Sim, polled: str) -> None:
    never = await _verify(sim, {"method": "GET", "path": "/coe/v1/submissions", "partnerSessionId": "verify-1"})
    assert never["ok"] is False
    assert never["matched"] == 0
    assert never["requests"] == []
    assert "expected at least 1" in never["message"]
    assert "Latest requests in that scope" in never["message"]
    assert (await _verify(sim, {"path": STATUS, "clientId": "another-partner"}))["ok"] is False
    assert (await _verify(sim, {"path": STATUS, "status": "4xx"}))["ok"] is False
    none_wanted = await _verify(sim, {"path": "/coe/v1/submissions", "count": 0})
    assert none_wanted["ok"] is True


async def test_miscounted_requests(sim: Sim, polled: str) -> None:
    three = await _verify(sim, {"path": STATUS, "count": 3})
    assert three["ok"] is False
    assert three["matched"] == 2
    assert three["message"].startswith("expected exactly 3 request(s) matching any /coe/v1/submissions/*/status")
    assert three["message"].endswith("found 2 requests")
    at_most = await _verify(sim, {"path": STATUS, "atMost": 1})
    assert (at_most["ok"], at_most["expected"]) == (False, "at most 1")
    at_least = await _verify(sim, {"path": STATUS, "atLeast": 5})
    assert (at_least["ok"], at_least["matched"]) == (False, 2)


async def test_order(sim: Sim, polled: str) -> None:
    in_order = await _verify(
        sim,
        {
            "clientId": SAMPLE_CLIENT_ID,
            "sequence": [
                {"method": "POST", "path": "/coe-partner/v1/initiate-flow"},
                {"method": "PUT", "path": "/storage/*"},
                {"method": "PUT", "path": "/coe/v1/submissions/urls"},
                {"path": STATUS},
                {"path": STATUS},
            ],
        },
    )
    assert in_order["ok"] is True, in_order["message"]
    assert in_order["matched"] == 5
    assert [r["id"] for r in in_order["requests"]] == sorted(r["id"] for r in in_order["requests"])

    reversed_order = await _verify(
        sim, {"sequence": [{"path": STATUS}, {"method": "PUT", "path": "/coe/v1/submissions/urls"}]}
    )
    assert reversed_order["ok"] is False
    assert reversed_order["matched"] == 1
    assert "step 2 of 2 (PUT /coe/v1/submissions/urls) did not happen after" in reversed_order["message"]
    assert "it happened 1 time(s), all before #" in reversed_order["message"]

    third_poll = await _verify(sim, {"sequence": [{"path": STATUS}, {"path": STATUS}, {"path": STATUS}]})
    assert (third_poll["ok"], third_poll["matched"]) == (False, 2)
    other_partner = await _verify(sim, {"clientId": "someone-else", "sequence": [{"path": STATUS}]})
    assert other_partner["ok"] is False
    assert "did not happen at all" in other_partner["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"count": 1, "atLeast": 1},
        {"status": "abc"},
        {"path": STATUS, "unknown": True},
        {"count": -1},
        {"sequence": []},
        {"sequence": [{"path": STATUS, "count": 2}]},
        {"direction": "sideways"},
    ],
)
async def test_malformed_queries_are_400(sim: Sim, body: dict[str, Any]) -> None:
    response = await sim.http.post("/_sim/verify", json=body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "SIM_400"
    assert error["cause"]


async def test_a_body_that_is_not_an_object_is_400(sim: Sim) -> None:
    assert (await sim.http.post("/_sim/verify", content=b"[1, 2]")).status_code == 400
    assert (await sim.http.post("/_sim/verify", content=b"{nope")).status_code == 400
