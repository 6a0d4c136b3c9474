"""Token expiry on the simulator clock, uploads, poll-driven processing, strict mode and racing confirms."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from conftest import Sim, SimFactory, s3_error

from simulator.client import VendorClient, sample_jpeg
from simulator.domain.outcomes import Outcome
from simulator.domain.scripts import AttemptScript, Script
from simulator.settings import Settings
from simulator.store import tables as t

pytestmark = pytest.mark.anyio


async def test_partner_token_expires_on_the_simulator_clock(sim: Sim, vendor: VendorClient) -> None:
    issued = (await vendor.get_partner_token()).json()["data"]
    assert issued["expiry_seconds"] == "1800"
    assert int(issued["expires_at"]) - int(sim.services.clock.now()) == 1800
    assert (await vendor.initiate("before-expiry")).status_code == 200

    await sim.advance(1800)
    expired = await vendor.initiate("after-expiry")
    assert expired.status_code == 401
    assert expired.json()["errors"] == [{"code": "110", "cause": "UNAUTHORIZED"}]


async def test_coe_partner_token_lives_an_hour(sim: Sim, vendor: VendorClient) -> None:
    response = await vendor.get_partner_token("/v1/coe/partner/authentication")
    assert response.json()["data"]["expiry_seconds"] == "3600"
    vendor.partner_token = response.json()["data"]["token"]
    await sim.advance(3599)
    assert (await vendor.initiate("coe-token-still-valid")).status_code == 200


async def test_user_token_expires_after_sixty_days(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("long-session")
    assert (await vendor.presign(sdk)).status_code == 200
    await sim.advance(5_184_000)
    assert (await vendor.presign(sdk)).status_code == 401


async def test_token_signed_by_another_simulator_is_rejected(
    sim_factory: SimFactory, settings: Settings, tmp_path: Path
) -> None:
    first = await sim_factory(settings)
    other = await sim_factory(settings.model_copy(update={"database": str(tmp_path / "other.db")}))
    token = await first.vendor().ensure_partner_token()
    foreign = other.vendor(partner_token=token)
    assert (await foreign.initiate("foreign")).status_code == 401


async def test_upload_url_expires_and_signature_is_checked(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("upload-checks")
    url = (await vendor.presign(sdk)).json()["data"]["documents"]["SELFIE"]["documentUrl"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))

    tampered = {**query, "X-Amz-Signature": "0" * 64}
    response = await sim.http.put(f"{parts.path}?{urlencode(tampered)}", content=sample_jpeg())
    assert s3_error(response) == (403, "SignatureDoesNotMatch")

    other_doc = parts.path.replace("_SELFIE", "_ADDITIONAL_SELFIE")
    response = await sim.http.put(f"{other_doc}?{parts.query}", content=sample_jpeg())
    assert s3_error(response) == (403, "SignatureDoesNotMatch")

    response = await vendor.upload(url, b"<html>not an image</html>", "image/jpeg")
    assert s3_error(response) == (422, "INVALID_UPLOAD_ARTIFACT")

    await sim.advance(600)
    response = await vendor.upload(url, sample_jpeg())
    assert s3_error(response) == (403, "AccessDenied")
    assert "Request has expired" in response.text


async def test_oversized_upload_is_refused(sim_factory: SimFactory, settings: Settings) -> None:
    sim = await sim_factory(settings.model_copy(update={"upload_max_bytes": 1000}))
    vendor = sim.vendor()
    sdk = await vendor.launch("too-big")
    url = (await vendor.presign(sdk)).json()["data"]["documents"]["SELFIE"]["documentUrl"]
    response = await vendor.upload(url, sample_jpeg(size=(400, 400)) + b"\0" * 2000)
    assert s3_error(response) == (400, "EntityTooLarge")


async def test_upload_after_confirm_is_a_conflict(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("late-upload")
    data = (await vendor.presign(sdk)).json()["data"]
    url = data["documents"]["SELFIE"]["documentUrl"]
    await vendor.upload(url, sample_jpeg())
    await vendor.confirm(sdk, data["submissionId"])
    response = await vendor.upload(url, sample_jpeg((1, 2, 3)))
    assert s3_error(response) == (409, "SUBMISSION_STATE_CONFLICT")


async def test_png_and_webp_are_accepted(sim: Sim, vendor: VendorClient) -> None:
    import io

    from PIL import Image

    for fmt in ("PNG", "WEBP"):
        sdk = await vendor.launch(f"format-{fmt}")
        url = (await vendor.presign(sdk)).json()["data"]["documents"]["SELFIE"]["documentUrl"]
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, fmt)
        assert (await vendor.upload(url, buffer.getvalue(), f"image/{fmt.lower()}")).status_code == 200


async def test_completion_after_n_polls(sim: Sim, vendor: VendorClient) -> None:
    sim.services.scripts["three-polls"] = Script(
        name="three-polls",
        description="done on the third poll",
        magic_user_id="SIM_THREE_POLLS",
        attempts=[AttemptScript(outcome=Outcome.PASS, after_polls=3)],
    )
    sdk = await vendor.launch("polls", user_id="SIM_THREE_POLLS")
    submission_id = await vendor.capture(sdk)
    seen = [(await vendor.status(sdk, submission_id)).json()["data"]["status"] for _ in range(4)]
    assert seen == ["IN_PROGRESS", "IN_PROGRESS", "COMPLETED", "COMPLETED"]


async def test_strict_mode_drops_undocumented_fields(sim_factory: SimFactory, settings: Settings) -> None:
    sim = await sim_factory(settings.model_copy(update={"strict": True}))
    vendor = sim.vendor()
    sdk = await vendor.launch("strict")
    submission_id = await vendor.capture(sdk)
    data = (await vendor.status(sdk, submission_id)).json()["data"]
    assert not {"nextAction", "attempt", "maxAttempts"} & set(data)
    assert data["status"] == "IN_PROGRESS"


async def test_concurrent_duplicate_confirms_exactly_one_wins(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("race")
    data = (await vendor.presign(sdk)).json()["data"]
    await vendor.upload(data["documents"]["SELFIE"]["documentUrl"], sample_jpeg())
    responses = await asyncio.gather(*(vendor.confirm(sdk, data["submissionId"]) for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 11

    async with sim.services.repo.engine.connect() as conn:
        rows = await conn.execute(t.transitions.select().where(t.transitions.c.submission_id == data["submissionId"]))
        moves = [(r.from_status, r.to_status) for r in rows]
    assert moves == [(None, "INITIATED"), ("INITIATED", "IN_PROGRESS")]


async def test_concurrent_presigns_never_exceed_attempts(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("presign-race", user_id="SIM_SPOOF")
    for _ in range(3):
        responses = await asyncio.gather(*(vendor.presign(sdk) for _ in range(8)))
        ids = {r.json()["data"]["submissionId"] for r in responses if r.status_code == 200}
        assert len(ids) == 1
        submission_id = ids.pop()
        url = responses[0].json()["data"]["documents"]["SELFIE"]["documentUrl"]
        await vendor.upload(url, sample_jpeg())
        await vendor.confirm(sdk, submission_id)
        await sim.advance(5)
    final = await asyncio.gather(*(vendor.presign(sdk) for _ in range(5)))
    assert {r.status_code for r in final} == {429}


async def test_token_gateway_on_its_own_port(tmp_path: Path) -> None:
    from simulator.testing_server import free_port, start_child

    token_port = free_port()
    child = start_child(tmp_path / "ports.db", extra_args=["--token-port", str(token_port)])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{token_port}") as http:
            assert (await VendorClient(http).get_partner_token()).status_code == 200
    finally:
        child.stop()
