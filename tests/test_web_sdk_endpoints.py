"""The hosted Web SDK page's endpoints through the ASGI stack: the page, its assets, launch and scenario."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Sim

from simulator.client import SdkSession, VendorClient
from simulator.services.vendor_flow.authentication import USER_TOKEN_LIFETIME

pytestmark = pytest.mark.anyio

MAGIC_SPOOF_SELFIE = (Path(__file__).resolve().parent.parent / "scenarios" / "images" / "selfie-spoof.jpg").read_bytes()
UNAUTHORIZED = {"success": False, "errors": [{"code": "110", "cause": "UNAUTHORIZED"}]}


async def web_launch(vendor: VendorClient, partner_session_id: str, **body: object) -> str:
    """Initiate a WEB_SDK flow; the user token from the launchUrl's fragment."""
    payload = {
        "flow": "STANDALONE_LIVENESS",
        "source": "WEB_SDK",
        "successRedirectionUrl": "https://partner.example/done?app=1",
        "failureRedirectionUrl": "https://partner.example/failed",
        **body,
    }
    response = await vendor.initiate(
        partner_session_id, onboarding_partner="CLIENT_X-WEB_SDK-STANDALONE_LIVENESS", body=payload
    )
    assert response.status_code == 200, response.text
    launch_url = urlsplit(str(response.json()["data"]["launchUrl"]))
    assert launch_url.path == "/kyc/v2/index.html"
    assert launch_url.fragment.startswith("/launch-v1?token=")
    return launch_url.fragment.removeprefix("/launch-v1?token=")


async def test_launch_gives_the_page_what_it_needs(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-launch-1", theme="DARK_MODE", additionalDetails={"userLocale": "en_ID"})
    response = await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": token})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["partnerSessionId"] == "web-launch-1"
    assert data["successRedirectionUrl"] == "https://partner.example/done?app=1"
    assert data["failureRedirectionUrl"] == "https://partner.example/failed"
    assert (data["theme"], data["userLocale"], data["tokenStatus"]) == ("DARK_MODE", "en_ID", "ACTIVE")
    assert (data["flow"], data["source"]) == ("STANDALONE_LIVENESS", "WEB_SDK")
    assert (data["scenario"], data["maxAttempts"], data["attemptsUsed"]) == ("liveness-pass", 3, 0)
    names = {scenario["name"] for scenario in data["scenarios"]}
    assert {"liveness-pass", "spoof"} <= names
    assert all(scenario["description"] for scenario in data["scenarios"])


async def test_launch_counts_attempts_already_made(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-attempts")
    await vendor.capture(SdkSession(token, "web-attempts", "sdk-a"))
    response = await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": token})
    assert response.json()["data"]["attemptsUsed"] == 1


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"])
async def test_launch_refuses_what_is_not_a_user_token(sim: Sim, token: str | None) -> None:
    headers = {} if token is None else {"x-onekyc-token": token}
    response = await sim.http.get("/kyc/v2/launch", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


async def test_launch_refuses_a_partner_token(sim: Sim, vendor: VendorClient) -> None:
    partner_token = await vendor.ensure_partner_token()
    response = await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": partner_token})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


async def test_an_expired_token_still_names_its_redirects_but_cannot_act(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-expired")
    await sim.advance(USER_TOKEN_LIFETIME + 1)
    launch = await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": token})
    assert launch.status_code == 200
    assert launch.json()["data"]["tokenStatus"] == "EXPIRED"
    assert launch.json()["data"]["failureRedirectionUrl"] == "https://partner.example/failed"
    chosen = await sim.http.put("/kyc/v2/scenario", headers={"x-onekyc-token": token}, json={"scenario": "spoof"})
    assert (chosen.status_code, chosen.json()) == (401, UNAUTHORIZED)


async def test_a_revoked_token_is_expired_for_the_page(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-revoked")
    revoked = await sim.http.post("/_sim/tokens/expire", json={"token": token})
    assert revoked.status_code == 200
    launch = await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": token})
    assert launch.json()["data"]["tokenStatus"] == "EXPIRED"


async def test_choosing_a_scenario_scripts_the_tokens_own_session(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-spoof")
    other = await web_launch(vendor, "web-other")
    chosen = await sim.http.put("/kyc/v2/scenario", headers={"x-onekyc-token": token}, json={"scenario": "spoof"})
    assert chosen.status_code == 200
    assert chosen.json() == {"success": True, "data": {"scenario": "spoof", "maxAttempts": 3}}

    sdk = SdkSession(token, "web-spoof", "sdk-1")
    submission_id = await vendor.capture(sdk)
    await sim.advance(2)
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (status["status"], status["verificationResult"]["isApproved"], status["nextAction"]) == (
        "COMPLETED",
        False,
        "RETRY",
    )

    untouched = await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": other})
    assert untouched.json()["data"]["scenario"] == "liveness-pass"


async def test_the_pages_choice_beats_a_magic_selfie(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-choice-vs-magic")
    chosen = await sim.http.put(
        "/kyc/v2/scenario", headers={"x-onekyc-token": token}, json={"scenario": "liveness-pass"}
    )
    assert chosen.status_code == 200
    sdk = SdkSession(token, "web-choice-vs-magic", "sdk-1")
    submission_id = await vendor.capture(sdk, MAGIC_SPOOF_SELFIE)
    await sim.advance(5)
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (status["status"], status["verificationResult"]["isApproved"]) == ("COMPLETED", True)


async def test_without_a_choice_the_magic_selfie_still_applies(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-magic")
    sdk = SdkSession(token, "web-magic", "sdk-1")
    submission_id = await vendor.capture(sdk, MAGIC_SPOOF_SELFIE)
    await sim.advance(5)
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (status["status"], status["verificationResult"]["isApproved"]) == ("COMPLETED", False)


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ({"scenario": "no-such-scenario"}, "unknown scenario 'no-such-scenario'"),
        ({"scenario": 7}, "unknown scenario 7"),
        ({}, "unknown scenario None"),
    ],
)
async def test_choosing_an_unknown_scenario_is_a_400(sim: Sim, vendor: VendorClient, body: object, cause: str) -> None:
    token = await web_launch(vendor, "web-unknown")
    response = await sim.http.put("/kyc/v2/scenario", headers={"x-onekyc-token": token}, json=body)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "SIM_400"
    assert error["cause"].startswith(cause)


async def test_choosing_with_a_body_that_is_not_an_object_is_a_400(sim: Sim, vendor: VendorClient) -> None:
    token = await web_launch(vendor, "web-bad-body")
    response = await sim.http.put("/kyc/v2/scenario", headers={"x-onekyc-token": token}, content=b"[1]")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "SIM_400", "cause": 'the body must be {"scenario": NAME}'}]


async def test_the_page_and_its_assets_are_served_with_a_strict_policy(sim: Sim) -> None:
    page = await sim.http.get("/kyc/v2/index.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="assets/sdk.js" defer></script>' in page.text
    script = await sim.http.get("/kyc/v2/assets/sdk.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "x-onekyc-token" in script.text
    style = await sim.http.get("/kyc/v2/assets/sdk.css")
    assert style.headers["content-type"].startswith("text/css")
    missing = await sim.http.get("/kyc/v2/assets/nope.js")
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "errors": [{"code": "404", "cause": "PATH_NOT_FOUND"}]}
