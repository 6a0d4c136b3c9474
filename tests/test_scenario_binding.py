"""Which scenario a session runs, through the real ASGI stack: catalog, admin bindings, magic values, defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Sim, SimFactory

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.scenarios.loader import BUILTIN_DIR
from simulator.settings import Settings

pytestmark = pytest.mark.anyio

IMAGES = BUILTIN_DIR / "images"


async def _verdict(sim: Sim, vendor: VendorClient, sdk: SdkSession, image: bytes | None = None) -> dict[str, Any]:
    """One attempt: capture, let processing finish, and the partner's view of the submission."""
    submission_id = await vendor.capture(sdk, image)
    await sim.advance(30)
    details = (await vendor.details(submission_id=submission_id)).json()["data"]
    return {k: details.get(k) for k in ("status", "result", "reasonCode")}


async def _scenario_of(sim: Sim, client_id: str, psid: str) -> str:
    session = await sim.services.repo.find_session(client_id, psid)
    assert session is not None
    return session.scenario


async def test_catalog_lists_scenarios_with_magic_values(sim: Sim) -> None:
    catalog = (await sim.http.get("/_sim/scenarios")).json()["scenarios"]
    by_name = {s["name"]: s for s in catalog}
    assert {"liveness-pass", "spoof", "gateway-5xx-while-polling"} <= set(by_name)
    spoof = by_name["spoof"]
    assert spoof["magicUserId"] == "SIM_SPOOF"
    assert spoof["magicImage"]["name"] == "selfie-spoof.jpg"
    assert len(spoof["magicImage"]["sha256"]) == 64
    assert spoof["attempts"] == ["attempt 1: NOT_LIVE, after 2 s"]
    assert by_name["gateway-5xx-while-polling"]["faults"] == ["status call 2, 3: HTTP 500 900 SOMETHING_WENT_WRONG"]

    one = (await sim.http.get("/_sim/scenarios/retry-then-pass")).json()
    assert [a["outcome"] for a in one["script"]["attempts"]] == ["NOT_LIVE", "PASS"]
    missing = await sim.http.get("/_sim/scenarios/nope")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "SIM_404"
    assert "Known scenarios:" in missing.json()["errors"][0]["cause"]


async def test_admin_binding_wins_over_magic_user_id(sim: Sim, vendor: VendorClient) -> None:
    bound = await sim.http.put("/_sim/bindings/bound-1", json={"scenario": "system-error"})
    assert bound.status_code == 200
    assert bound.json() | {"createdAt": None} == {
        "partnerSessionId": "bound-1",
        "clientId": None,
        "scenario": "system-error",
        "inline": False,
        "createdAt": None,
    }
    listed = (await sim.http.get("/_sim/bindings")).json()
    assert [b["partnerSessionId"] for b in listed["bindings"]] == ["bound-1"]

    sdk = await vendor.launch("bound-1", user_id="SIM_PASS-7")
    assert await _verdict(sim, vendor, sdk) == {"status": "ERROR", "result": None, "reasonCode": "VERIFICATION_FAILED"}
    assert await _scenario_of(sim, vendor.client_id, "bound-1") == "system-error"

    assert (await sim.http.delete("/_sim/bindings/bound-1")).json()["deleted"] is True
    again = await sim.http.delete("/_sim/bindings/bound-1")
    assert again.status_code == 404
    assert (await sim.http.get("/_sim/bindings")).json()["bindings"] == []


async def test_binding_for_one_partner_and_inline_script(sim: Sim, vendor: VendorClient) -> None:
    script = {"attempts": [{"outcome": "FACE_MATCH_FAILED", "retriable": False, "after_polls": 1}]}
    body = {"scenario": "my-inline", "script": script, "clientId": vendor.client_id}
    assert (await sim.http.put("/_sim/bindings/inline-1", json=body)).json()["inline"] is True
    sdk = await vendor.launch("inline-1")
    submission_id = await vendor.capture(sdk)
    polled = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (polled["status"], polled["nextAction"]) == ("COMPLETED", "EXIT")
    details = (await vendor.details(submission_id=submission_id)).json()["data"]
    assert details["reasonCode"] == "FACE_MATCH_FAILED"
    assert await _scenario_of(sim, vendor.client_id, "inline-1") == "my-inline"


@pytest.mark.parametrize(
    ("body", "status", "cause"),
    [
        ({"scenario": "nope"}, 404, "No scenario is named 'nope'"),
        ({"scenario": "spoof", "clientId": "who"}, 404, "No partner has client id 'who'"),
        ({"scenario": 3}, 400, "`scenario` must be a scenario name"),
        ({"scenario": "spoof", "extra": 1}, 400, "Unknown field(s) extra"),
        ({"scenario": "x", "script": {"attempts": [{"outcome": "MAYBE"}]}}, 400, "attempts.0.outcome"),
        (
            {"scenario": "x", "script": {"faults": [{"endpoint": "status", "status": 302}]}},
            400,
            "greater than or equal to 400",
        ),
    ],
)
async def test_bad_bindings_are_refused_with_a_reason(sim: Sim, body: dict[str, Any], status: int, cause: str) -> None:
    response = await sim.http.put("/_sim/bindings/bad", json=body)
    assert response.status_code == status
    assert cause in response.json()["errors"][0]["cause"]


async def test_magic_user_id_selects_its_scenario(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("magic-user", user_id="sim_error-42")
    assert (await _verdict(sim, vendor, sdk))["status"] == "ERROR"
    assert await _scenario_of(sim, vendor.client_id, "magic-user") == "system-error"


async def test_magic_image_switches_the_session_from_that_attempt(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("magic-image")
    assert await _verdict(sim, vendor, sdk) == {"status": "COMPLETED", "result": "VALID", "reasonCode": ""}
    # That first attempt passed, so a new session: the spoof selfie on attempt 1, then any selfie.
    sdk = await vendor.launch("magic-image-2")
    spoof = (IMAGES / "selfie-spoof.jpg").read_bytes()
    assert (await _verdict(sim, vendor, sdk, spoof))["reasonCode"] == "NOT_LIVE"
    assert await _scenario_of(sim, vendor.client_id, "magic-image-2") == "spoof"
    assert (await _verdict(sim, vendor, sdk, sample_jpeg()))["reasonCode"] == "NOT_LIVE"


async def test_magic_image_does_not_beat_a_magic_user_id(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("image-vs-user", user_id="SIM_PASS-1")
    spoof = (IMAGES / "selfie-spoof.jpg").read_bytes()
    assert (await _verdict(sim, vendor, sdk, spoof))["result"] == "VALID"


async def test_partner_default_scenario(sim_factory: SimFactory, settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "partners.yaml"
    config.write_text(
        "partners:\n"
        "  - client_id: qa-partner\n"
        "    pass_key: qa-pass\n"
        "    onboarding_partners: [QA-SDK-STANDALONE_LIVENESS]\n"
        "    default_scenario: spoof\n",
        encoding="utf-8",
    )
    sim = await sim_factory(settings.model_copy(update={"config": config}))
    vendor = sim.vendor(client_id="qa-partner", pass_key="qa-pass", onboarding_partner="QA-SDK-STANDALONE_LIVENESS")
    sdk = await vendor.launch("default-1")
    assert (await _verdict(sim, vendor, sdk))["reasonCode"] == "NOT_LIVE"
    assert await _scenario_of(sim, "qa-partner", "default-1") == "spoof"

    sdk = await vendor.launch("default-2", user_id="SIM_PASS-9")
    assert (await _verdict(sim, vendor, sdk))["result"] == "VALID"

    pass_image = (IMAGES / "selfie-pass.jpg").read_bytes()
    sdk = await vendor.launch("default-3")
    assert (await _verdict(sim, vendor, sdk, pass_image))["result"] == "VALID"
    assert await _scenario_of(sim, "qa-partner", "default-3") == "liveness-pass"


async def test_extra_scenario_directories_join_the_catalog(
    sim_factory: SimFactory, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "qa.yaml").write_text(
        "name: qa-doc-not-found\ndescription: d\nmagic_user_id: QA_DOC\nattempts:\n  - outcome: DOCUMENT_NOT_FOUND\n",
        encoding="utf-8",
    )
    sim = await sim_factory(settings.model_copy(update={"scenario_dirs": [tmp_path]}))
    vendor = sim.vendor()
    sdk = await vendor.launch("extra-1", user_id="QA_DOC-1")
    assert (await _verdict(sim, vendor, sdk))["reasonCode"] == "DOCUMENT_NOT_FOUND"
