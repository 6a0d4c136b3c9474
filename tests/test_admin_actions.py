"""`/_sim` actions: force an outcome, trigger a callback, expire a token; and the optional admin token."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BASE_URL, Sim

from simulator.app import create_app
from simulator.client import VendorClient
from simulator.settings import Settings
from simulator.testing_receiver import Receiver

pytestmark = pytest.mark.anyio


async def _force(sim: Sim, submission_id: str, **body: Any) -> httpx.Response:
    return await sim.http.post(f"/_sim/submissions/{submission_id}/force", json=body)


async def _transitions(sim: Sim, partner_session_id: str) -> list[tuple[str | None, str, str]]:
    response = await sim.http.get(f"/_sim/sessions/by-partner-session/{partner_session_id}")
    assert response.status_code == 200, response.text
    return [(e["from"], e["to"], e["cause"]) for e in response.json()["timeline"] if e["type"] == "transition"]


async def test_force_an_in_progress_submission(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("force-running")
    submission_id = await vendor.capture(sdk)
    forced = await _force(sim, submission_id, outcome="NOT_LIVE")
    assert forced.status_code == 200, forced.text
    body = forced.json()["submission"]
    assert (body["status"], body["result"], body["reasonCode"], body["nextAction"]) == (
        "COMPLETED",
        "INVALID",
        "NOT_LIVE",
        "RETRY",
    )
    assert body["plan"]["forced"] is True
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (status["status"], status["nextAction"]) == ("COMPLETED", "RETRY")
    assert await sim.services.repo.pending_jobs("complete") == 0
    assert (await _transitions(sim, "force-running"))[-1] == ("IN_PROGRESS", "COMPLETED", "force")
    assert (await sim.advance(5))["jobsRun"] == 0


async def test_force_an_initiated_submission_goes_through_in_progress(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("force-initiated")
    submission_id = (await vendor.presign(sdk)).json()["data"]["submissionId"]
    forced = await _force(sim, submission_id, outcome="ERROR", retriable=True)
    assert forced.status_code == 200, forced.text
    assert forced.json()["submission"]["status"] == "ERROR"
    assert forced.json()["submission"]["nextAction"] == "RETRY"
    assert await _transitions(sim, "force-initiated") == [
        (None, "INITIATED", "presign"),
        ("INITIATED", "IN_PROGRESS", "force"),
        ("IN_PROGRESS", "ERROR", "force"),
    ]
    details = (await vendor.details(submission_id=submission_id)).json()["data"]
    assert (details["status"], details["reasonCode"]) == ("ERROR", "VERIFICATION_FAILED")


async def test_force_refusals(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("force-refused")
    submission_id = await vendor.capture(sdk)
    bad = await _force(sim, submission_id, outcome="MAYBE")
    assert bad.status_code == 400
    assert "`outcome`: Input should be 'PASS', 'NOT_LIVE'" in bad.json()["errors"][0]["cause"]
    assert (await _force(sim, submission_id, outcome="PASS", retriable="yes")).status_code == 400
    assert (await _force(sim, "no-such-submission", outcome="PASS")).status_code == 404
    assert (await _force(sim, submission_id, outcome="PASS")).status_code == 200
    twice = await _force(sim, submission_id, outcome="NOT_LIVE")
    assert twice.status_code == 409
    assert twice.json()["errors"][0]["code"] == "SIM_409"
    assert "terminal states never change" in twice.json()["errors"][0]["cause"]


async def test_force_and_trigger_call_the_partner(sim: Sim, vendor: VendorClient) -> None:
    async with Receiver() as partner:
        patched = await sim.http.patch("/_sim/partners/" + vendor.client_id + "/callback", json={"url": partner.url})
        assert patched.status_code == 200, patched.text
        sdk = await vendor.launch("force-callback")
        submission_id = await vendor.capture(sdk)
        early = await sim.http.post(f"/_sim/submissions/{submission_id}/callback")
        assert early.status_code == 409
        assert (await _force(sim, submission_id, outcome="FACE_MATCH_FAILED")).status_code == 200
        await sim.advance(0)
        [first] = await partner.wait_for(1)
        assert (first.json()["submissionId"], first.json()["reasonCode"]) == (submission_id, "FACE_MATCH_FAILED")

        triggered = await sim.http.post(f"/_sim/submissions/{submission_id}/callback")
        assert triggered.status_code == 202
        assert triggered.json()["cause"] == "trigger"
        await sim.advance(0)
        again = await partner.wait_for(2)
        assert again[1].json() == first.json()
        assert (await sim.http.post("/_sim/submissions/unknown/callback")).status_code == 404


async def test_expire_tokens(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("expire-me")
    submission_id = await vendor.capture(sdk)
    assert (await vendor.status(sdk, submission_id)).status_code == 200
    expired = await sim.http.post("/_sim/tokens/expire", json={"token": sdk.token})
    assert expired.status_code == 200, expired.text
    assert (expired.json()["kind"], expired.json()["partnerSessionId"]) == ("user", "expire-me")
    assert expired.json()["alreadyRevoked"] is False
    denied = await vendor.status(sdk, submission_id)
    assert denied.status_code == 401
    assert denied.json()["errors"] == [{"code": "110", "cause": "UNAUTHORIZED"}]

    partner_token = await vendor.ensure_partner_token()
    assert (await sim.http.post("/_sim/tokens/expire", json={"token": partner_token})).status_code == 200
    assert (await vendor.details(partner_session_id="expire-me")).status_code == 401
    repeat = await sim.http.post("/_sim/tokens/expire", json={"token": partner_token})
    assert repeat.json()["alreadyRevoked"] is True
    for bad in ({"token": "not-a-jwt"}, {}, {"token": 42}):
        response = await sim.http.post("/_sim/tokens/expire", json=bad)
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "SIM_400"


async def test_an_expired_token_stays_expired_after_a_restart(settings: Settings) -> None:
    async def run(step: Any) -> Any:
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            return await step(VendorClient(http), http)

    async def expire(vendor: VendorClient, http: httpx.AsyncClient) -> tuple[str, str]:
        token = await vendor.ensure_partner_token()
        other = (await vendor.get_partner_token()).json()["data"]["token"]
        assert (await http.post("/_sim/tokens/expire", json={"token": token})).status_code == 200
        return token, other

    async def check(vendor: VendorClient, http: httpx.AsyncClient) -> tuple[int, int]:
        revoked = await http.get("/coe/v1/submissions", headers={"x-onekyc-token": token, "x-submission-id": "x"})
        fine = await http.get("/coe/v1/submissions", headers={"x-onekyc-token": other, "x-submission-id": "x"})
        return revoked.status_code, fine.status_code

    token, other = await run(expire)
    assert await run(check) == (401, 400)


@pytest.fixture
async def guarded(sim_factory: Any, tmp_path: Path) -> Sim:
    settings = Settings(database=str(tmp_path / "guarded.db"), public_base_url=BASE_URL, admin_token="s3cret-admin")
    sim: Sim = await sim_factory(settings)
    return sim


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sim/requests"),
        ("POST", "/_sim/reset"),
        ("GET", "/_sim/openapi.json"),
        ("GET", "/_sim/ui"),
        ("GET", "/_sim/no-such-route"),
    ],
)
async def test_the_admin_token_guards_every_sim_route(guarded: Sim, method: str, path: str) -> None:
    refused = await guarded.http.request(method, path)
    assert refused.status_code == 401
    [error] = refused.json()["errors"]
    assert error["code"] == "SIM_401"
    assert "Authorization: Bearer <token>" in error["cause"]
    assert refused.headers["www-authenticate"].startswith("Bearer")
    wrong = await guarded.http.request(method, path, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    allowed = await guarded.http.request(method, path, headers={"authorization": "Bearer s3cret-admin"})
    assert allowed.status_code != 401


async def test_the_admin_token_leaves_vendor_endpoints_alone(guarded: Sim) -> None:
    vendor = guarded.vendor()
    sdk = await vendor.launch("guarded")
    submission_id = await vendor.capture(sdk)
    assert (await vendor.status(sdk, submission_id)).status_code == 200
    basic = base64.b64encode(b"admin:s3cret-admin").decode()
    as_browser = await guarded.http.get("/_sim/sessions", headers={"authorization": f"Basic {basic}"})
    assert as_browser.json()["sessions"][0]["partnerSessionId"] == "guarded"
    prompt = await guarded.http.get("/_sim/ui", headers={"accept": "text/html"})
    assert prompt.headers["www-authenticate"].startswith("Basic")
