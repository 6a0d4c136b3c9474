"""The request journal: attribution, redaction, filters, and the cap on memory and disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Sim
from sqlalchemy import func, select

from simulator.client import VendorClient, sample_jpeg
from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY
from simulator.services.journal.buffer import JournalEntry
from simulator.services.journal.redaction import mask, redact_header, redact_text
from simulator.settings import Settings
from simulator.store import tables as t

pytestmark = pytest.mark.anyio


async def _requests(sim: Sim, **params: Any) -> dict[str, Any]:
    response = await sim.http.get("/_sim/requests", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rows(sim: Sim) -> int:
    async with sim.services.repo.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(t.journal))).scalar() or 0)


async def test_a_flow_is_journaled_and_attributed(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("journal-flow")
    submission_id = await vendor.capture(sdk)
    await vendor.status(sdk, submission_id)

    body = await _requests(sim, order="asc")
    seen = [(r["method"], r["path"].split("/")[1], r["status"]) for r in body["requests"]]
    assert seen == [
        ("GET", "v1", 200),
        ("POST", "coe-partner", 200),
        ("GET", "coe", 200),
        ("PUT", "storage", 200),
        ("PUT", "coe", 200),
        ("GET", "coe", 200),
    ]
    token, initiate, presign, upload, confirm, status = body["requests"]
    assert token["clientId"] == SAMPLE_CLIENT_ID
    assert token["partnerSessionId"] is None
    for entry in (initiate, presign, upload, confirm, status):
        assert (entry["clientId"], entry["partnerSessionId"]) == (SAMPLE_CLIENT_ID, "journal-flow")
        assert entry["direction"] == "inbound"
    assert initiate["sessionKey"] == status["sessionKey"] is not None
    assert [e["submissionId"] for e in (presign, upload, confirm, status)] == [submission_id] * 4
    assert (upload["kind"], upload["request"]["body"]) == ("storage", None)
    assert upload["request"]["size"] == len(sample_jpeg())
    assert json.loads(confirm["request"]["body"]) == {"submissionId": submission_id}
    assert json.loads(status["response"]["body"])["data"]["status"] == "IN_PROGRESS"
    assert status["latencyMs"] >= 0
    assert body["journal"]["maxEntries"] == 10_000


async def test_no_secret_is_stored_in_clear(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("journal-secrets")
    presigned = (await vendor.presign(sdk)).json()["data"]
    upload_url = presigned["documents"]["SELFIE"]["documentUrl"]
    web_partner = "CLIENT_X-WEB_SDK-STANDALONE_LIVENESS"
    web = (await vendor.initiate("journal-web", source="WEB_SDK", onboarding_partner=web_partner)).json()
    await sim.http.get("/v1/coe/partner/authentication", headers={"client-id": SAMPLE_CLIENT_ID, "pass-key": "wrong"})

    dumped = json.dumps(await _requests(sim, limit=100))
    signature = upload_url.split("X-Amz-Signature=")[1]
    launch_token = web["data"]["launchUrl"].split("token=")[1]
    for secret in (SAMPLE_PASS_KEY, "wrong", vendor.partner_token, sdk.token, signature, launch_token):
        assert secret
        assert secret not in dumped
    assert "[redacted sha256:" in dumped
    async with sim.services.repo.engine.connect() as conn:
        stored = json.dumps([list(r) for r in await conn.execute(select(t.journal))], default=str)
    assert sdk.token not in stored
    assert SAMPLE_PASS_KEY not in stored
    assert signature not in stored


def test_redaction_rules() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert mask(jwt) == mask(mask(jwt)) != jwt
    assert jwt not in redact_text(f'{{"data":{{"token":"{jwt}"}}}}')
    assert "eyJhbGciOiJIUzI1" not in redact_text('{"token":"eyJhbGciOiJIUzI1')  # cut off by the excerpt
    assert "abc" not in redact_text('{"passKey": "abc", "ok": 1}')
    assert "deadbeef" not in redact_text("/storage/x/y?X-Amz-Date=1&X-Amz-Signature=deadbeef")
    assert redact_text("/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS").endswith("LIVENESS")
    assert redact_header("Authorization", "Bearer tok-1").startswith("Bearer [redacted")
    assert redact_header("X-Partner-Key", "k-42").startswith("[redacted")
    assert redact_header("x-partner-session-id", "s-1") == "s-1"


async def test_filters_order_and_bad_queries(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("journal-filters")
    submission_id = await vendor.capture(sdk)
    for _ in range(3):
        await vendor.status(sdk, submission_id)
    await sim.http.get("/no/such/path")

    polls = await _requests(sim, path="/coe/v1/submissions/*/status", method="get")
    assert (polls["count"], polls["requestCount"]) == (1, 3)  # three identical polls: one counted entry
    assert polls["requests"][0]["repeats"] == 3
    everything = await _requests(sim)
    assert everything["order"] == "desc"
    assert [r["id"] for r in everything["requests"]] == sorted((r["id"] for r in everything["requests"]), reverse=True)
    oldest = await _requests(sim, submissionId=submission_id, order="asc", limit=1)
    ids = [r["id"] for r in (await _requests(sim, submissionId=submission_id))["requests"]]
    assert oldest["requests"][0]["id"] == min(ids)
    after = await _requests(sim, after=oldest["requests"][0]["id"], submissionId=submission_id)
    assert after["count"] == len(ids) - 1 > 0
    missing = await _requests(sim, status="4xx")
    assert [(r["path"], r["status"]) for r in missing["requests"]] == [("/no/such/path", 404)]
    assert (await _requests(sim, clientId="someone-else"))["count"] == 0
    assert (await _requests(sim, partnerSessionId="journal-filters", kind="storage"))["count"] == 1
    assert (await _requests(sim, since="2100-01-01T00:00:00Z"))["count"] == 0

    for bad in ({"limit": "0"}, {"status": "abc"}, {"since": "yesterday"}, {"order": "up"}, {"direction": "in"}):
        response = await sim.http.get("/_sim/requests", params=bad)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["code"] == "SIM_400"


async def test_outbound_entries_are_redacted_when_stored(sim: Sim) -> None:
    svc = sim.services
    svc.journal.record(
        JournalEntry(
            direction="outbound",
            kind="callback",
            at=svc.clock.now(),
            method="POST",
            url="https://partner.example/cb?api_key=k-123",
            status=500,
            latency_ms=3.0,
            client_id=SAMPLE_CLIENT_ID,
            partner_session_id="journal-out",
            request_headers={"Authorization": "Bearer tok-999", "content-type": "application/json"},
            request_body='{"submissionId": "s-1", "token": "tok-999"}',
            response_body="x" * 5000,
        )
    )
    [entry] = (await _requests(sim, direction="outbound"))["requests"]
    assert "tok-999" not in json.dumps(entry)
    assert "k-123" not in entry["url"]
    assert entry["path"] == "/cb"
    assert entry["kind"] == "callback"
    assert entry["status"] == 500
    assert entry["request"]["headers"]["content-type"] == "application/json"
    assert len(entry["response"]["body"]) < 2100
    assert entry["response"]["body"].endswith("[truncated, 5000 bytes]")


async def test_the_buffer_drops_the_oldest_when_the_writer_lags(sim_factory: Any, tmp_path: Path) -> None:
    sim: Sim = await sim_factory(Settings(database=str(tmp_path / "cap.db"), journal_max_entries=10))
    journal = sim.services.journal
    for n in range(25):  # no await: the writer task cannot run in between
        journal.record(JournalEntry("outbound", "callback", float(n), "POST", f"http://p/{n}", 200, 1.0))
    assert (journal.pending, journal.dropped) == (10, 15)
    assert await journal.flush() == 10
    stored = (await _requests(sim, order="asc", limit=50))["requests"]
    assert [r["path"] for r in stored] == [f"/{n}" for n in range(15, 25)]


async def test_the_cap_holds_under_100_000_requests(sim_factory: Any, tmp_path: Path) -> None:
    cap = 1000
    # Processing outlasts the test: every poll answers IN_PROGRESS with the same body.
    settings = Settings(database=str(tmp_path / "cap.db"), journal_max_entries=cap, processing_delay_seconds=3600)
    sim: Sim = await sim_factory(settings)
    journal = sim.services.journal
    for n in range(100_000):
        journal.record(JournalEntry("outbound", "reference", float(n), "GET", f"http://img/{n}", 200, 1.0))
        assert journal.pending <= cap
        if n % 5000 == 4999:
            await journal.flush()
            assert await _rows(sim) <= cap
    await journal.flush()
    assert await _rows(sim) == cap
    newest = (await _requests(sim, limit=1))["requests"][0]
    assert newest["path"] == "/99999"

    vendor = sim.vendor()
    sdk = await vendor.launch("journal-cap")
    submission_id = await vendor.capture(sdk)
    for n in range(3000):
        assert (await vendor.status(sdk, submission_id)).status_code == 200
        assert journal.pending <= cap
        if n % 700 == 699:
            await journal.flush()  # the run goes on across batches: the stored entry is extended
    await journal.flush()
    assert await _rows(sim) == cap
    polls = await _requests(sim, path="/coe/v1/submissions/*/status", submissionId=submission_id, limit=1000)
    assert (polls["count"], polls["requestCount"]) == (1, 3000)  # 3000 identical polls, one counted entry
    assert polls["journal"]["stored"] == cap
    entry = polls["requests"][0]
    assert entry["repeats"] == 3000
    assert entry["firstAt"] == entry["at"] < entry["lastAt"]
    assert journal.recorded == 100_000 + 3000 + 5
