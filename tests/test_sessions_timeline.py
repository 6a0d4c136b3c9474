"""`/_sim/sessions`: the list with each latest submission, one session's details and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import Sim

from simulator.client import VendorClient
from simulator.partners import SAMPLE_CLIENT_ID

pytestmark = pytest.mark.anyio


def _when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["at"].replace("Z", "+00:00"))


async def test_sessions_newest_first_with_their_latest_submission(sim: Sim, vendor: VendorClient) -> None:
    await vendor.launch("list-1")
    await sim.advance(1)
    sdk = await vendor.launch("list-2", user_id="SIM_SPOOF-7")
    first = await vendor.capture(sdk)
    await sim.advance(2)
    second = (await vendor.presign(sdk)).json()["data"]["submissionId"]

    listed = (await sim.http.get("/_sim/sessions", params={"clientId": SAMPLE_CLIENT_ID})).json()
    assert [s["partnerSessionId"] for s in listed["sessions"]] == ["list-2", "list-1"]
    latest = listed["sessions"][0]
    assert latest["userId"] == "SIM_SPOOF-7"
    assert (latest["flow"], latest["source"], latest["clientId"]) == ("STANDALONE_LIVENESS", "SDK", SAMPLE_CLIENT_ID)
    assert latest["latestSubmission"] == {
        "id": second,
        "attempt": 2,
        "status": "INITIATED",
        "result": None,
        "reasonCode": None,
        "nextAction": "STATUS",
    }
    assert listed["sessions"][1]["latestSubmission"] is None
    assert (await sim.http.get("/_sim/sessions", params={"limit": 1})).json()["count"] == 1
    assert (await sim.http.get("/_sim/sessions", params={"clientId": "nobody"})).json()["sessions"] == []

    detail = (await sim.http.get(f"/_sim/sessions/{latest['key']}")).json()
    assert [(s["id"], s["status"], s["reasonCode"]) for s in detail["submissions"]] == [
        (first, "COMPLETED", "NOT_LIVE"),
        (second, "INITIATED", None),
    ]
    by_partner_id = await sim.http.get(
        "/_sim/sessions/by-partner-session/list-2", params={"clientId": SAMPLE_CLIENT_ID}
    )
    assert by_partner_id.json()["session"]["key"] == latest["key"]
    assert (await sim.http.get("/_sim/sessions/no-such-key")).status_code == 404
    missing = await sim.http.get("/_sim/sessions/by-partner-session/list-2", params={"clientId": "nobody"})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "SIM_404"


async def test_timeline_merges_requests_and_transitions_in_time_order(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("timeline")
    await sim.advance(1)
    submission_id = await vendor.capture(sdk)  # presign, upload, confirm: all at one frozen instant
    await vendor.status(sdk, submission_id)
    await sim.advance(2)  # processing ends
    await vendor.status(sdk, submission_id)

    detail = (await sim.http.get("/_sim/sessions/by-partner-session/timeline")).json()
    timeline = detail["timeline"]
    seen = [
        (e["type"], e.get("to") if e["type"] == "transition" else f"{e['method']} {e['path'].split('/')[-1]}")
        for e in timeline
        if e["type"] in ("request", "transition")
    ]
    assert seen == [
        ("request", "POST initiate-flow"),
        ("request", "GET urls"),
        ("transition", "INITIATED"),
        ("request", f"PUT {sdk_document(detail)}"),
        ("request", "PUT urls"),
        ("transition", "IN_PROGRESS"),
        ("request", "GET status"),
        ("transition", "COMPLETED"),
        ("request", "GET status"),
    ]
    times = [_when(e) for e in timeline]
    assert times == sorted(times)
    assert (times[-1] - times[0]).total_seconds() == 3
    callbacks = [e for e in timeline if e["type"] == "callback"]
    assert [(c["cause"], c["state"]) for c in callbacks] == [("completion", "skipped")]
    assert all(e["summary"] for e in timeline)
    completed = next(e for e in timeline if e.get("to") == "COMPLETED")
    assert (completed["cause"], completed["submissionId"]) == ("processing-delay", submission_id)


def sdk_document(detail: dict[str, Any]) -> str:
    """The stored selfie's document reference, the last segment of its upload path."""
    [submission] = detail["submissions"]
    upload = next(e for e in detail["timeline"] if e["type"] == "request" and e["kind"] == "storage")
    assert upload["submissionId"] == submission["id"]
    last: str = upload["path"].split("/")[-1]
    return last
