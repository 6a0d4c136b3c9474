"""The one image check (simulator.services.vendor_flow.images) at every place an image is decoded: the presigned
upload, the reference-image fetch (from the real local receiver) and the sample images of scenario files.

The "bomb" is what a script or a phone can produce: a valid 1-bit PNG of 16320 x 12240 pixels, about
24 KB on the wire, which makes Pillow raise its DecompressionBombError (more than twice its 89.5-million
pixel threshold) before it decodes anything.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import Sim, s3_error
from outbound_support import set_callback
from PIL import Image

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.scenarios.loader import ScenarioFileError, load_file
from simulator.services.vendor_flow.images import ImageLimits, Verdict, check_image
from simulator.settings import Settings
from simulator.testing_receiver import Receiver, Reply

pytestmark = pytest.mark.anyio


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    data = _png((16320, 12240))
    assert len(data) < 40_000
    return data


@pytest.fixture
async def host() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def _upload(vendor: VendorClient, session_id: str, data: bytes, content_type: str = "image/png") -> Any:
    sdk = await vendor.launch(session_id)
    presigned = (await vendor.presign(sdk)).json()["data"]
    return await vendor.upload(presigned["documents"]["SELFIE"]["documentUrl"], data, content_type)


def _error(response: Any) -> tuple[int, str]:
    """The storage answers in S3's XML; the simulator's own image rules carry the vendor's words as `Code`."""
    return s3_error(response)


# -- the check itself --------------------------------------------------------------------------------


def test_every_decoder_failure_is_a_verdict_not_an_exception(bomb_png: bytes) -> None:
    limits = ImageLimits(max_bytes=5 * 1024 * 1024)
    jpeg = sample_jpeg()
    png = _png((40, 30), "RGB")
    noisy = io.BytesIO()
    Image.effect_noise((200, 200), 64).save(noisy, "PNG")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    cases = {
        "bomb over twice Pillow's limit": (bomb_png, Verdict.TOO_MANY_PIXELS),
        "over Pillow's warning limit": (_png((10000, 9000)), Verdict.TOO_MANY_PIXELS),
        "over our pixel cap only": (_png((5000, 5000)), Verdict.TOO_MANY_PIXELS),
        "too many bytes": (b"\xff" * (limits.max_bytes + 1), Verdict.TOO_MANY_BYTES),
        "truncated JPEG": (jpeg[: len(jpeg) // 2], Verdict.UNDECODABLE),
        "truncated PNG": (noisy.getvalue()[: len(noisy.getvalue()) // 2], Verdict.UNDECODABLE),
        "JPEG header only": (jpeg[:20], Verdict.UNDECODABLE),
        "GIF": (gif.getvalue(), Verdict.UNDECODABLE),
        "text": (b"this is not an image", Verdict.UNDECODABLE),
        "empty": (b"", Verdict.UNDECODABLE),
    }
    for name, (data, verdict) in cases.items():
        check = check_image(data, limits)
        assert check.verdict is verdict, name
        assert check.content_type is None, name
        assert check.detail, name
    assert check_image(jpeg, limits).content_type == "image/jpeg"
    assert check_image(png, limits).content_type == "image/png"
    assert check_image(png, ImageLimits(10**6, formats=("JPEG",))).verdict is Verdict.UNDECODABLE


# -- upload ------------------------------------------------------------------------------------------


async def test_bomb_png_upload_is_413_image_too_large(sim: Sim, vendor: VendorClient, bomb_png: bytes) -> None:
    response = await _upload(vendor, "bomb-upload", bomb_png)
    assert _error(response) == (413, "IMAGE_TOO_LARGE")


async def test_upload_pixel_cap_and_formats_follow_the_settings(sim_factory: Any, settings: Settings) -> None:
    small = await sim_factory(settings.model_copy(update={"image_max_pixels": 100 * 100, "image_formats": ["JPEG"]}))
    vendor = small.vendor()
    assert _error(await _upload(vendor, "too-wide", sample_jpeg(size=(200, 100)))) == (413, "IMAGE_TOO_LARGE")
    png = _png((50, 50), "RGB")
    assert _error(await _upload(vendor, "png-refused", png)) == (422, "INVALID_UPLOAD_ARTIFACT")
    assert (await _upload(vendor, "fits", sample_jpeg(size=(100, 100)))).status_code == 200


async def test_truncated_jpeg_upload_is_422(sim: Sim, vendor: VendorClient) -> None:
    jpeg = sample_jpeg()
    response = await _upload(vendor, "truncated", jpeg[: len(jpeg) // 2], "image/jpeg")
    assert _error(response) == (422, "INVALID_UPLOAD_ARTIFACT")


# -- reference image ---------------------------------------------------------------------------------


async def _reference_attempt(sim: Sim, vendor: VendorClient, session_id: str, url: str) -> tuple[SdkSession, str]:
    body = {"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"referenceImageUrl": url}}
    sdk = await vendor.launch(session_id, body=body)
    return sdk, await vendor.capture(sdk)


@pytest.mark.parametrize("kind", ["bomb", "truncated"])
async def test_bad_reference_image_ends_invalid_with_its_callback(
    sim: Sim, vendor: VendorClient, host: Receiver, bomb_png: bytes, kind: str
) -> None:
    data = bomb_png if kind == "bomb" else sample_jpeg()[:300]
    host.route("/ktp.png", Reply(200, data, "image/png"))
    await set_callback(sim, url=host.url_for("/cb"))
    sdk, submission_id = await _reference_attempt(sim, vendor, f"ref-{kind}", host.url_for("/ktp.png"))
    with anyio.fail_after(20):
        await sim.advance(2)
        fetched, callback = await host.wait_for(2)
    assert (fetched.path, callback.path) == ("/ktp.png", "/cb")
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (status["status"], status["nextAction"]) == ("COMPLETED", "EXIT")
    details = (await vendor.details(submission_id=submission_id)).json()["data"]
    assert (details["result"], details["reasonCode"]) == ("INVALID", "REFERENCE_IMAGE_VALIDATION_FAILED")
    ktp = details["submissionDetails"]["verificationResults"]["referenceImageValidation"]["ktp"]
    assert ktp == {"verificationResult": False, "verificationReasonCode": "NOT_EKTP"}
    assert callback.json()["reasonCode"] == "REFERENCE_IMAGE_VALIDATION_FAILED"
    fetch = await sim.services.repo.reference_fetch_of(submission_id)
    assert fetch is not None
    assert fetch.outcome == ("too_large" if kind == "bomb" else "not_image")
    assert (await sim.http.get("/_sim/health")).json()["failedJobs"] == 0


# -- sample images of scenario files -----------------------------------------------------------------


def test_a_scenario_whose_magic_image_the_upload_would_refuse_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "selfie.png").write_bytes(_png((5000, 5000)))
    scenario = tmp_path / "huge-selfie.yaml"
    scenario.write_text(
        "name: huge-selfie\ndescription: A selfie too large.\nmagic_image: selfie.png\nattempts:\n  - outcome: PASS\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioFileError, match=r"magic_image: 'selfie\.png' would be refused at upload"):
        load_file(scenario)


async def test_a_non_ascii_digit_content_length_is_not_a_server_error(sim: Sim, vendor: VendorClient) -> None:
    """A Content-Length byte 0xB2 reads as "²" (Latin-1): `isdigit()` is true, `int()` fails."""
    sdk = await vendor.launch("odd-length")
    url = (await vendor.presign(sdk)).json()["data"]["documents"]["SELFIE"]["documentUrl"]
    target = url.split("://", 1)[1].split("/", 1)[1]
    response = await sim.http.put(f"/{target}", content=sample_jpeg(), headers={b"content-length": b"\xb2"})
    assert response.status_code < 500, response.text
