"""The Selfie Liveness flow end to end through the ASGI stack: pass, spoof, retry, quota, details."""

from __future__ import annotations

import httpx
import pytest
from conftest import Sim

from simulator.client import VendorClient, sample_jpeg

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]


async def test_liveness_pass_end_to_end(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("session-pass")
    submission_id = await vendor.capture(sdk)

    polled = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (polled["status"], polled["nextAction"]) == ("IN_PROGRESS", "STATUS")
    assert polled["documents"]["SELFIE"]["status"] == "UPLOADED"

    advanced = await sim.advance(2)
    assert advanced["jobsRun"] == 1

    done = (await vendor.status(sdk, submission_id)).json()["data"]
    assert done["status"] == "COMPLETED"
    assert done["nextAction"] == "EXIT"
    assert done["verificationResult"]["isApproved"] is True
    assert done["documents"]["SELFIE"]["status"] == "VERIFIED"
    assert (done["attempt"], done["maxAttempts"]) == (1, 3)

    details = (await vendor.details(partner_session_id="session-pass")).json()["data"]
    assert details["status"] == "COMPLETED"
    assert details["result"] == "VALID"
    assert details["reasonCode"] == ""
    assert details["flow"] == "STANDALONE_LIVENESS"
    assert details["submissionDetails"]["verificationResults"]["liveness"]["result"] is True

    image = await sim.http.get(details["submissionDetails"]["imageUrls"]["selfie"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == sample_jpeg()


async def test_spoof_retries_until_attempts_run_out(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("session-spoof", user_id="SIM_SPOOF-42")
    seen = []
    for _ in range(3):
        submission_id = await vendor.capture(sdk)
        await sim.advance(2)
        data = (await vendor.status(sdk, submission_id)).json()["data"]
        seen.append((data["status"], data["verificationResult"]["isApproved"], data["nextAction"]))
    assert seen == [("COMPLETED", False, "RETRY"), ("COMPLETED", False, "RETRY"), ("COMPLETED", False, "EXIT")]

    exhausted = await vendor.presign(sdk)
    assert exhausted.status_code == 429
    assert exhausted.json()["errors"] == [{"code": "429", "cause": "SUBMISSION_QUOTA_EXCEEDED"}]

    details = (await vendor.details(partner_session_id="session-spoof")).json()["data"]
    assert (details["status"], details["result"], details["reasonCode"]) == ("COMPLETED", "INVALID", "NOT_LIVE")
    assert details["submissionDetails"]["verificationResults"]["liveness"] == {"result": False, "version": "4.0.0"}


async def test_presign_reuses_the_open_submission(vendor: VendorClient) -> None:
    sdk = await vendor.launch("session-reuse")
    first = (await vendor.presign(sdk)).json()["data"]
    second = (await vendor.presign(sdk)).json()["data"]
    assert first["submissionId"] == second["submissionId"]
    assert first["status"] == "INITIATED"
    assert set(first["documents"]) == {"SELFIE", "ADDITIONAL_SELFIE"}
    assert first["documents"]["SELFIE"]["expiryInSeconds"] == "600"


async def test_details_by_submission_id_and_in_progress(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("session-details")
    submission_id = await vendor.capture(sdk)
    data = (await vendor.details(submission_id=submission_id)).json()["data"]
    assert data["status"] == "IN_PROGRESS"
    assert "result" not in data
    assert data["submissionDetails"]["imageUrls"]["selfie"].startswith("http://sim.test/storage/")


async def test_web_sdk_returns_launch_url_with_token(vendor: VendorClient) -> None:
    response = await vendor.initiate("session-web", source="WEB_SDK")
    data = response.json()["data"]
    assert "token" not in data
    assert data["launchUrl"].startswith("http://sim.test/kyc/v2/index.html#/launch-v1?token=ey")
    assert data["expirySeconds"] == "5184000"


async def test_user_token_v2_creates_the_session_on_first_presign(sim: Sim, client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v2/coe/authentication",
        headers={
            "client-id": "b31fa508-331c-4e9e-9a60-b0f28c3f7e13",
            "pass-key": "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b",
            "x-onboarding-partner": "CLIENT_X-SDK-COE_FACE_VERIFICATION",
            "x-partner-user-id": "user-7",
            "x-partner-user-id-type": "CLIENT_X_USER_ID",
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["expiry_seconds"] == "5184000"
    vendor = sim.vendor()
    from simulator.client import SdkSession

    sdk = SdkSession(response.json()["data"]["token"], "legacy-session", "sdk-9")
    submission_id = await vendor.capture(sdk)
    await sim.advance(2)
    assert (await vendor.status(sdk, submission_id)).json()["data"]["status"] == "COMPLETED"
