"""The reference-image fetch against a real host on a free port: kept image, 404, HTML, oversized, redirects.

Confirm enqueues the fetch; advancing the clock past the processing delay runs it before the completion
(both are jobs, due in that order), so each advance below ends with the verdict the fetch decided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import Sim
from outbound_support import assert_valid_callback_body, set_callback

from simulator.client import VendorClient, sample_jpeg
from simulator.domain.states import Result, Status
from simulator.services.vendor_flow.processing import complete_submission
from simulator.settings import Settings
from simulator.testing_receiver import Receiver, Reply

pytestmark = pytest.mark.anyio

CHUNK = 16 * 1024


@pytest.fixture
async def host() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def _run(sim: Sim, vendor: VendorClient, session_id: str, reference_url: str) -> dict[str, Any]:
    """A whole attempt whose Initiate Flow carried `reference_url`; the final status data."""
    body = {"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"referenceImageUrl": reference_url}}
    sdk = await vendor.launch(session_id, body=body)
    submission_id = await vendor.capture(sdk)
    await sim.advance(2)
    data: dict[str, Any] = (await vendor.status(sdk, submission_id)).json()["data"]
    return data


async def _fetch_of(sim: Sim, submission_id: str) -> dict[str, Any]:
    fetch = await sim.services.repo.reference_fetch_of(submission_id)
    assert fetch is not None
    return fetch.to_json()


async def test_reference_image_is_fetched_and_kept(sim: Sim, vendor: VendorClient, host: Receiver) -> None:
    image = sample_jpeg((10, 20, 30))
    host.route("/refs/ktp.jpg", Reply.image(image))
    status = await _run(sim, vendor, "ref-ok", host.url_for("/refs/ktp.jpg"))
    assert (status["status"], status["nextAction"]) == ("COMPLETED", "EXIT")

    [request] = host.requests
    assert (request.method, request.path) == ("GET", "/refs/ktp.jpg")
    assert request.headers["accept"].startswith("image/")
    assert await sim.services.repo.reference_image(status["submissionId"]) == (image, "image/jpeg")
    fetch = await _fetch_of(sim, status["submissionId"])
    assert (fetch["outcome"], fetch["statusCode"], fetch["imageSize"]) == ("image", 200, len(image))

    details = (await vendor.details(submission_id=status["submissionId"])).json()["data"]
    results = details["submissionDetails"]["verificationResults"]
    assert results["referenceImageValidation"] == {"ktp": {"verificationResult": True}}
    assert results["faceMatch"]["result"] is True
    submission = await sim.services.repo.get_submission(status["submissionId"])
    assert submission is not None
    timeline = await sim.services.repo.reference_fetches_of_session(submission.session_key)
    assert [f.outcome for f in timeline] == ["image"]


async def test_reference_404_ends_in_error(sim: Sim, vendor: VendorClient, host: Receiver) -> None:
    host.route("/missing.jpg", Reply.html("<h1>Not Found</h1>", status=404))
    await set_callback(sim, url=host.url_for("/cb"))
    status = await _run(sim, vendor, "ref-404", host.url_for("/missing.jpg"))
    assert (status["status"], status["nextAction"]) == ("ERROR", "EXIT")
    assert status["errorMessage"] == "Reference image could not be fetched"

    details = (await vendor.details(partner_session_id="ref-404")).json()["data"]
    assert (details["status"], details["reasonCode"]) == ("ERROR", "VERIFICATION_FAILED")
    fetch = await _fetch_of(sim, status["submissionId"])
    assert (fetch["outcome"], fetch["statusCode"], fetch["responseExcerpt"]) == (
        "http_error",
        404,
        "<h1>Not Found</h1>",
    )

    callback = next(r for r in host.requests if r.path == "/cb").json()
    assert_valid_callback_body(callback)
    assert (callback["status"], callback["reasonCode"]) == ("ERROR", "VERIFICATION_FAILED")


async def test_reference_host_down_ends_in_error(sim: Sim, vendor: VendorClient, host: Receiver) -> None:
    await host.stop()
    status = await _run(sim, vendor, "ref-down", host.url_for("/ktp.jpg"))
    assert status["status"] == "ERROR"
    fetch = await _fetch_of(sim, status["submissionId"])
    assert fetch["outcome"] == "unreachable"
    assert fetch["error"].startswith("connection failed")


async def test_reference_serving_html_is_invalid(sim: Sim, vendor: VendorClient, host: Receiver) -> None:
    host.route("/ktp", Reply.html("<html><body>login first</body></html>"))
    status = await _run(sim, vendor, "ref-html", host.url_for("/ktp"))
    assert (status["status"], status["verificationResult"]["isApproved"], status["nextAction"]) == (
        "COMPLETED",
        False,
        "EXIT",
    )
    details = (await vendor.details(partner_session_id="ref-html")).json()["data"]
    assert (details["result"], details["reasonCode"]) == ("INVALID", "REFERENCE_IMAGE_VALIDATION_FAILED")
    assert details["submissionDetails"]["verificationResults"] == {
        "referenceImageValidation": {"ktp": {"verificationResult": False, "verificationReasonCode": "NOT_EKTP"}}
    }
    fetch = await _fetch_of(sim, status["submissionId"])
    assert (fetch["outcome"], fetch["contentType"]) == ("not_image", "text/html; charset=utf-8")
    assert await sim.services.repo.reference_image(status["submissionId"]) is None


@pytest.mark.parametrize(
    ("reply", "read_range"),
    [
        # Streamed without a Content-Length: reading stops at the first chunk past the cap.
        pytest.param(
            Reply(body=b"\xff" * CHUNK, content_type="image/jpeg", repeat=256),
            (64 * 1024 + 1, 64 * 1024 + 64 * 1024),
            id="chunked",
        ),
        # A declared length over the cap: nothing of the body is read at all.
        pytest.param(Reply(body=b"\xff" * (4 * 1024 * 1024), content_type="image/jpeg"), (0, 0), id="content-length"),
    ],
)
async def test_oversized_reference_is_cut_off(
    settings: Settings, sim_factory: Any, host: Receiver, reply: Reply, read_range: tuple[int, int]
) -> None:
    sim: Sim = await sim_factory(settings.model_copy(update={"reference_max_bytes": 64 * 1024}))
    vendor = sim.vendor()
    host.route("/huge.jpg", reply)
    status = await _run(sim, vendor, "ref-huge", host.url_for("/huge.jpg"))
    fetch = await _fetch_of(sim, status["submissionId"])
    assert fetch["outcome"] == "too_large"
    least, most = read_range
    assert least <= fetch["bytesRead"] <= most, "read up to the cap plus at most one network chunk"
    assert fetch["imageSize"] is None
    details = (await vendor.details(partner_session_id="ref-huge")).json()["data"]
    assert details["reasonCode"] == "REFERENCE_IMAGE_VALIDATION_FAILED"


async def test_redirects_are_followed_up_to_the_limit(sim: Sim, vendor: VendorClient, host: Receiver) -> None:
    host.route("/img", Reply.image(sample_jpeg()))
    host.route("/hop1", Reply.redirect("/img"))
    ok = await _run(sim, vendor, "ref-redirect", host.url_for("/hop1"))
    assert ok["status"] == "COMPLETED"
    assert (await _fetch_of(sim, ok["submissionId"]))["redirects"] == 1

    for n in range(4):
        host.route(f"/loop{n}", Reply.redirect(f"/loop{n + 1}"))
    looping = await _run(sim, vendor, "ref-loop", host.url_for("/loop0"))
    assert looping["status"] == "ERROR"
    fetch = await _fetch_of(sim, looping["submissionId"])
    assert (fetch["outcome"], fetch["redirects"], fetch["error"]) == ("unreachable", 3, "more than 3 redirects")


async def test_completion_waits_for_the_fetch_unless_forced(sim: Sim, vendor: VendorClient, host: Receiver) -> None:
    scheduler = sim.services.scheduler
    assert scheduler is not None
    await scheduler.stop()  # from here on, jobs run only when the clock is advanced
    host.route("/ktp.jpg", Reply.image(sample_jpeg()))
    body = {
        "flow": "STANDALONE_LIVENESS",
        "source": "SDK",
        "additionalDetails": {"referenceImageUrl": host.url_for("/ktp.jpg")},
    }

    waiting = await vendor.capture(await vendor.launch("ref-wait", body=body))
    still = await complete_submission(sim.services, waiting, "test")
    assert still is not None
    assert still.status is Status.IN_PROGRESS
    await sim.advance(0)  # the fetch is due now, the planned completion only in 2 s
    assert len(host.requests) == 1
    assert (await _fetch_of(sim, waiting))["outcome"] == "image"
    done = await complete_submission(sim.services, waiting, "test")
    assert done is not None
    assert done.status is Status.COMPLETED

    forced = await vendor.capture(await vendor.launch("ref-forced", body=body))
    record = await complete_submission(sim.services, forced, "forced", wait_for_reference=False)
    assert record is not None
    assert (record.status, record.result) == (Status.COMPLETED, Result.VALID)
