"""The partner's "Get Reference Image" endpoint, against a real receiver on a free port, clock-driven.

Initiate Flow carries no referenceImageUrl; the partner's configured endpoint is asked with the user
details and answers a URL (then fetched), the image bytes, or an error (any non-200).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml
from conftest import BASE_URL, Sim

from simulator.client import VendorClient, sample_jpeg
from simulator.partners import SAMPLE_CLIENT_ID
from simulator.replay.runner import replay_scenarios
from simulator.scenarios.loader import ScenarioFileError, load_file
from simulator.settings import Settings
from simulator.testing_receiver import Receiver, Reply

pytestmark = pytest.mark.anyio

IMAGE = sample_jpeg((40, 50, 60))


@pytest.fixture
async def partner() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def _configure(sim: Sim, **fields: Any) -> dict[str, Any]:
    response = await sim.http.patch(f"/_sim/partners/{SAMPLE_CLIENT_ID}/reference-image", json=fields)
    assert response.status_code == 200, response.text
    partner: dict[str, Any] = response.json()
    return partner


async def _run(sim: Sim, vendor: VendorClient, session_id: str) -> tuple[str, dict[str, Any]]:
    """One attempt without a referenceImageUrl; (submission id, Get Submission Details data)."""
    sdk = await vendor.launch(session_id, user_id="user-77", user_id_type="PHONE")
    submission_id = await vendor.capture(sdk)
    await sim.advance(2)
    details: dict[str, Any] = (await vendor.details(submission_id=submission_id)).json()["data"]
    return submission_id, details


async def _fetch(sim: Sim, submission_id: str) -> dict[str, Any]:
    fetch = await sim.services.repo.reference_fetch_of(submission_id)
    assert fetch is not None
    return fetch.to_json()


async def test_get_with_user_details_answering_a_url(sim: Sim, vendor: VendorClient, partner: Receiver) -> None:
    partner.route("/ktp/user-77.jpg", Reply.image(IMAGE))
    partner.route(
        "/reference-image", Reply(200, json.dumps({"referenceImageUrl": partner.url_for("/ktp/user-77.jpg")}).encode())
    )
    config = await _configure(
        sim, url=partner.url_for("/reference-image"), auth={"type": "api_key", "header": "x-partner-key", "value": "k1"}
    )
    assert config["reference_image"]["method"] == "GET"

    submission_id, details = await _run(sim, vendor, "ep-url")
    asked, fetched = partner.requests
    assert (asked.method, asked.path) == ("GET", "/reference-image")
    assert parse_qs(asked.query) == {"userId": ["user-77"], "userIdType": ["PHONE"], "partnerSessionId": ["ep-url"]}
    assert asked.headers["x-partner-key"] == "k1"
    assert (fetched.method, fetched.path) == ("GET", "/ktp/user-77.jpg")

    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")
    results = details["submissionDetails"]["verificationResults"]
    assert results["referenceImageValidation"] == {"ktp": {"verificationResult": True}}
    assert results["faceMatch"]["result"] is True
    assert await sim.services.repo.reference_image(submission_id) == (IMAGE, "image/jpeg")
    fetch = await _fetch(sim, submission_id)
    assert (fetch["url"], fetch["finalUrl"], fetch["outcome"]) == (
        partner.url_for("/reference-image"),
        partner.url_for("/ktp/user-77.jpg"),
        "image",
    )

    journal = (
        await sim.http.get("/_sim/requests", params={"partnerSessionId": "ep-url", "direction": "outbound"})
    ).json()
    kinds = [(r["kind"], r["method"], r["status"]) for r in journal["requests"]]
    assert ("reference-endpoint", "GET", 200) in kinds
    assert ("reference", "GET", 200) in kinds
    [entry] = [r for r in journal["requests"] if r["kind"] == "reference-endpoint"]
    assert entry["request"]["headers"]["x-partner-key"] == "***"
    assert "userId=user-77" in entry["url"]

    events = (await sim.http.get("/_sim/sessions/by-partner-session/ep-url")).json()["timeline"]
    types = [e["type"] for e in events]
    assert types.index("referenceEndpoint") < types.index("referenceFetch")
    asked_event = events[types.index("referenceEndpoint")]
    assert asked_event["summary"].startswith("reference image asked of the partner: GET http://127.0.0.1:")
    assert "from the partner's reference-image endpoint" in events[types.index("referenceFetch")]["summary"]


async def test_post_with_bearer_answering_the_image_bytes(sim: Sim, vendor: VendorClient, partner: Receiver) -> None:
    partner.route("/ref", Reply(200, IMAGE, "application/octet-stream"))
    await _configure(
        sim,
        url=partner.url_for("/ref"),
        method="POST",
        auth={"type": "bearer", "token": "t0k"},
        headers={"x-env": "qa"},
    )
    submission_id, details = await _run(sim, vendor, "ep-bytes")
    [asked] = partner.requests
    assert (asked.method, asked.headers["authorization"], asked.headers["x-env"]) == ("POST", "Bearer t0k", "qa")
    assert asked.headers["content-type"] == "application/json"
    assert asked.json() == {"userId": "user-77", "userIdType": "PHONE", "partnerSessionId": "ep-bytes"}
    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")
    assert await sim.services.repo.reference_image(submission_id) == (IMAGE, "image/jpeg")


@pytest.mark.parametrize(
    ("reply", "outcome", "status", "reason", "message"),
    [
        (Reply(500, b'{"error":"db down"}'), "http_error", "ERROR", "VERIFICATION_FAILED", "answered HTTP 500"),
        (Reply(204, b""), "http_error", "ERROR", "VERIFICATION_FAILED", "answered HTTP 204"),
        (
            Reply(302, b"", "text/plain", (("location", "/elsewhere"),)),
            "http_error",
            "ERROR",
            "VERIFICATION_FAILED",
            "answered HTTP 302",
        ),
        (Reply(200, b'{"url": "x"}'), "bad_answer", "ERROR", "VERIFICATION_FAILED", "without an http(s)"),
        (Reply.html("<p>no image</p>"), "not_image", "COMPLETED", "REFERENCE_IMAGE_VALIDATION_FAILED", None),
    ],
    ids=["500", "204", "302", "json-without-url", "html"],
)
async def test_endpoint_failures_end_as_the_vendor_rule_says(
    sim: Sim,
    vendor: VendorClient,
    partner: Receiver,
    reply: Reply,
    outcome: str,
    status: str,
    reason: str,
    message: str | None,
) -> None:
    partner.route("/ref", reply)
    await _configure(sim, url=partner.url_for("/ref"))
    submission_id, details = await _run(sim, vendor, "ep-fail")
    assert (details["status"], details["reasonCode"]) == (status, reason)
    fetch = await _fetch(sim, submission_id)
    assert fetch["outcome"] == outcome
    assert len(partner.requests) == 1
    if message is not None:
        sdk_status = await sim.services.repo.get_submission(submission_id)
        assert sdk_status is not None
        # The detail is for /_sim only; the vendor-facing message stays generic.
        assert message in (fetch["error"] or "")
        assert sdk_status.error_message == "Reference image could not be fetched"


async def test_endpoint_answering_a_url_that_is_not_an_image(sim: Sim, vendor: VendorClient, partner: Receiver) -> None:
    partner.route("/page", Reply.html("<h1>login</h1>"))
    partner.route("/ref", Reply(200, json.dumps({"referenceImageUrl": partner.url_for("/page")}).encode()))
    await _configure(sim, url=partner.url_for("/ref"))
    _, details = await _run(sim, vendor, "ep-url-html")
    assert (details["result"], details["reasonCode"]) == ("INVALID", "REFERENCE_IMAGE_VALIDATION_FAILED")


async def test_endpoint_unreachable_or_slow_is_an_error(sim: Sim, vendor: VendorClient, partner: Receiver) -> None:
    partner.route("/slow", partner.hold())
    await _configure(sim, url=partner.url_for("/slow"), timeout_seconds=0.2)
    submission_id, details = await _run(sim, vendor, "ep-slow")
    assert (details["status"], details["reasonCode"]) == ("ERROR", "VERIFICATION_FAILED")
    assert (await _fetch(sim, submission_id))["error"] == "reference-image endpoint: timed out after 0.2 s"

    await partner.stop()
    submission_id, details = await _run(sim, vendor, "ep-down")
    assert details["status"] == "ERROR"
    fetch = await _fetch(sim, submission_id)
    assert (fetch["outcome"], fetch["error"].startswith("reference-image endpoint: connection failed")) == (
        "unreachable",
        True,
    )


async def test_a_url_from_initiate_flow_wins_and_no_config_changes_nothing(
    sim: Sim, vendor: VendorClient, partner: Receiver
) -> None:
    partner.route("/given.jpg", Reply.image(IMAGE))
    partner.route("/ref", Reply(500))
    await _configure(sim, url=partner.url_for("/ref"))
    body = {
        "flow": "STANDALONE_LIVENESS",
        "source": "SDK",
        "additionalDetails": {"referenceImageUrl": partner.url_for("/given.jpg")},
    }
    sdk = await vendor.launch("ep-given", body=body)
    await vendor.capture(sdk)
    await sim.advance(2)
    assert [r.path for r in partner.requests] == ["/given.jpg"]

    await _configure(sim, url=None)
    submission_id, details = await _run(sim, vendor, "ep-none")
    assert await sim.services.repo.reference_fetch_of(submission_id) is None
    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")
    assert "referenceImageValidation" not in details["submissionDetails"].get("verificationResults", {})
    assert [r.path for r in partner.requests] == ["/given.jpg"]


async def test_bad_configs_are_refused(sim: Sim) -> None:
    for body, cause in [
        ({"url": "ftp://x"}, "the url must start with http:// or https://"),
        ({"method": "PUT"}, "Input should be 'GET' or 'POST'"),
        ({"auth": {"type": "basic", "username": "u"}}, "needs password"),
        ({"retry_schedule_seconds": [1]}, "Extra inputs are not permitted"),
    ]:
        response = await sim.http.patch(f"/_sim/partners/{SAMPLE_CLIENT_ID}/reference-image", json=body)
        assert response.status_code == 400, body
        assert cause in response.text


async def test_configured_in_the_partners_file(sim_factory: Any, tmp_path: Path, partner: Receiver) -> None:
    partner.route("/ref", Reply(200, IMAGE, "image/jpeg"))
    config = tmp_path / "partners.yaml"
    entry = {
        "client_id": "file-partner",
        "pass_key": "file-pass",
        "onboarding_partners": ["FILE-SDK-STANDALONE_LIVENESS"],
        "reference_image": {
            "url": partner.url_for("/ref"),
            "method": "GET",
            "auth": {"type": "basic", "username": "iab", "password": "s3cret"},
            "timeout_seconds": 3,
        },
    }
    config.write_text(yaml.safe_dump({"partners": [entry]}))
    settings = Settings(database=str(tmp_path / "f.db"), public_base_url=BASE_URL, frozen_clock=True, config=config)
    sim: Sim = await sim_factory(settings)
    vendor = sim.vendor(
        client_id="file-partner", pass_key="file-pass", onboarding_partner="FILE-SDK-STANDALONE_LIVENESS"
    )
    submission_id, details = await _run(sim, vendor, "ep-file")
    [asked] = partner.requests
    assert asked.headers["authorization"] == "Basic " + base64.b64encode(b"iab:s3cret").decode()
    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")
    assert (await _fetch(sim, submission_id))["outcome"] == "image"


# -- scripted in a scenario file: the replay runner's partner plays the endpoint ---------------


@pytest.mark.parametrize(
    ("endpoint", "image", "status", "reason"),
    [
        ("url", "ok", "COMPLETED", ""),
        ("url", "missing", "ERROR", "VERIFICATION_FAILED"),
        ("image", "ok", "COMPLETED", ""),
        ("image", "error", "ERROR", "VERIFICATION_FAILED"),
        ("image", "not-an-image", "COMPLETED", "REFERENCE_IMAGE_VALIDATION_FAILED"),
        ("image", "unreachable", "ERROR", "VERIFICATION_FAILED"),
    ],
)
async def test_a_scenario_scripts_the_endpoint(
    sim: Sim, tmp_path: Path, endpoint: str, image: str, status: str, reason: str
) -> None:
    path = tmp_path / "ep.yaml"
    path.write_text(
        "name: ep\ndescription: d\nattempts:\n  - {outcome: PASS, after_seconds: 2}\n"
        f"replay:\n  reference_image: {image}\n  reference_endpoint: {endpoint}\n"
        f"expect:\n  details: {{status: {status}, reason_code: '{reason}'}}\n",
        encoding="utf-8",
    )
    [outcome] = await replay_scenarios([load_file(path)], sim.http)
    assert outcome.passed, outcome.mismatches
    assert outcome.run is not None
    journal = await sim.http.get(
        "/_sim/requests", params={"partnerSessionId": outcome.run.partner_session_id, "direction": "outbound"}
    )
    kinds = [r["kind"] for r in journal.json()["requests"]]
    assert "reference-endpoint" in kinds
    assert ("reference" in kinds) is (endpoint == "url")


def test_reference_endpoint_needs_a_reference_image(tmp_path: Path) -> None:
    path = tmp_path / "ep.yaml"
    path.write_text("name: ep\ndescription: d\nreplay:\n  reference_endpoint: url\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError, match="reference_endpoint needs a reference_image"):
        load_file(path)
