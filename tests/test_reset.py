"""Isolation and reset: one partner's reset leaves another's state intact; sessions and all, no restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BASE_URL, Sim

from simulator.client import VendorClient
from simulator.partners import SAMPLE_CLIENT_ID
from simulator.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]

OTHER_ID = "11111111-2222-3333-4444-555555555555"
OTHER_KEY = "66666666-7777-8888-9999-000000000000"
OTHER_PARTNER = "OTHER-SDK-STANDALONE_LIVENESS"


@pytest.fixture
async def two(sim_factory: Any, tmp_path: Path) -> Sim:
    """A simulator with the sample partner and a second one from a partners file."""
    config = tmp_path / "partners.yaml"
    config.write_text(
        yaml.safe_dump(
            {"partners": [{"client_id": OTHER_ID, "pass_key": OTHER_KEY, "onboarding_partners": [OTHER_PARTNER]}]}
        )
    )
    settings = Settings(database=str(tmp_path / "two.db"), public_base_url=BASE_URL, frozen_clock=True, config=config)
    sim: Sim = await sim_factory(settings)
    return sim


def _other(sim: Sim) -> VendorClient:
    return sim.vendor(client_id=OTHER_ID, pass_key=OTHER_KEY, onboarding_partner=OTHER_PARTNER)


async def _reset(sim: Sim, body: dict[str, str]) -> dict[str, Any]:
    response = await sim.http.post("/_sim/reset", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _sessions(sim: Sim, client_id: str) -> list[str]:
    response = await sim.http.get("/_sim/sessions", params={"clientId": client_id})
    return [s["partnerSessionId"] for s in response.json()["sessions"]]


async def _journal(sim: Sim, client_id: str) -> int:
    response = await sim.http.get("/_sim/requests", params={"clientId": client_id, "limit": 1000})
    count: int = response.json()["count"]
    return count


async def test_a_partner_reset_leaves_the_other_partner_intact(two: Sim) -> None:
    sample, other = two.vendor(), _other(two)
    sample_sdk = await sample.launch("shared-session-id")
    sample_submission = await sample.capture(sample_sdk)
    other_sdk = await other.launch("shared-session-id")
    other_submission = await other.capture(other_sdk)
    assert await _journal(two, OTHER_ID) == 5
    assert (await two.services.repo.pending_jobs("complete")) == 2

    result = await _reset(two, {"clientId": SAMPLE_CLIENT_ID})
    assert result["reset"] == {"clientId": SAMPLE_CLIENT_ID}
    assert result["deleted"]["partner_sessions"] == 1
    assert result["deleted"]["submissions"] == 1
    assert result["deleted"]["jobs"] == 1
    assert result["deleted"]["journal"] == 5

    assert await _sessions(two, SAMPLE_CLIENT_ID) == []
    assert await _journal(two, SAMPLE_CLIENT_ID) == 0
    gone = await sample.status(sample_sdk, sample_submission)
    assert gone.status_code == 404
    assert await _journal(two, SAMPLE_CLIENT_ID) == 1
    assert (await two.services.repo.pending_jobs("complete")) == 1

    assert await _sessions(two, OTHER_ID) == ["shared-session-id"]
    assert await _journal(two, OTHER_ID) == 5
    await two.advance(2)
    done = (await other.status(other_sdk, other_submission)).json()["data"]
    assert (done["status"], done["nextAction"]) == ("COMPLETED", "EXIT")

    again = await sample.launch("shared-session-id")  # the id is free again, without a restart
    assert await sample.capture(again)


async def test_a_session_reset_leaves_the_partners_other_sessions(two: Sim) -> None:
    sample = two.vendor()
    for name in ("keep-me", "drop-me"):
        await sample.capture(await sample.launch(name))
    result = await _reset(two, {"clientId": SAMPLE_CLIENT_ID, "partnerSessionId": "drop-me"})
    assert result["deleted"]["partner_sessions"] == 1
    assert result["deleted"]["transitions"] == 2
    assert result["deleted"]["documents"] == 2
    assert await _sessions(two, SAMPLE_CLIENT_ID) == ["keep-me"]
    kept = await two.http.get("/_sim/requests", params={"partnerSessionId": "keep-me"})
    assert kept.json()["count"] == 4
    dropped = await two.http.get("/_sim/requests", params={"partnerSessionId": "drop-me"})
    assert dropped.json()["count"] == 0
    details = await sample.details(partner_session_id="drop-me")
    assert details.json()["errors"][0]["cause"] == "SUBMISSION_DOES_NOT_EXIST"
    assert (await sample.details(partner_session_id="keep-me")).status_code == 200


async def test_reset_all_keeps_partners(two: Sim) -> None:
    await two.vendor().capture(await two.vendor().launch("a"))
    await _other(two).capture(await _other(two).launch("b"))
    result = await _reset(two, {})
    assert result["reset"] == "all"
    assert result["deleted"]["partner_sessions"] == 2
    assert await _sessions(two, SAMPLE_CLIENT_ID) == []
    assert await _sessions(two, OTHER_ID) == []
    assert (await two.http.get("/_sim/requests")).json()["count"] == 0
    assert (await two.http.get("/_sim/health")).json()["pendingJobs"] == 0
    assert (await _other(two).get_partner_token()).status_code == 200
    empty = await two.http.post("/_sim/reset")
    assert empty.status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"partnerSessionId": "x"}, {"clientId": ""}, {"clientId": 5}, {"everything": True}],
)
async def test_bad_reset_requests(sim: Sim, body: dict[str, Any]) -> None:
    response = await sim.http.post("/_sim/reset", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "SIM_400"


async def test_a_session_reset_removes_bindings_made_for_any_partner(two: Sim) -> None:
    """A binding made without clientId would give the next session with that id the old scenario."""
    for client_id in (None, SAMPLE_CLIENT_ID):
        body = {"scenario": "spoof"} | ({"clientId": client_id} if client_id else {})
        response = await two.http.put(f"/_sim/bindings/bound-{client_id or 'any'}", json=body)
        assert response.status_code in (200, 201), response.text
    await two.http.put("/_sim/bindings/untouched", json={"scenario": "spoof"})

    for psid in ("bound-any", f"bound-{SAMPLE_CLIENT_ID}"):
        result = await _reset(two, {"clientId": SAMPLE_CLIENT_ID, "partnerSessionId": psid})
        assert result["deleted"]["scenario_bindings"] == 1
    bindings = (await two.http.get("/_sim/bindings")).json()["bindings"]
    assert [b["partnerSessionId"] for b in bindings] == ["untouched"]

    sample = two.vendor()
    sdk = await sample.launch("bound-any")
    await sample.capture(sdk)
    await two.advance(2)
    details = (await sample.details(partner_session_id="bound-any")).json()["data"]
    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")  # not the spoof it was bound to

    await _reset(two, {"clientId": SAMPLE_CLIENT_ID})  # a whole-partner reset keeps any-partner bindings
    assert [b["partnerSessionId"] for b in (await two.http.get("/_sim/bindings")).json()["bindings"]] == ["untouched"]
