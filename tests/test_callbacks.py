"""Partner callbacks against a real receiver on a free port: method, auth, body, retries, restart, redelivery.

Time moves only through POST /_sim/clock/advance, which runs every due job (deliveries included) before
it answers, so each assertion after an advance sees the attempts that advance caused, without sleeping.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import Sim
from outbound_support import (
    assert_valid_callback_body,
    callback,
    callbacks_of,
    finished_submission,
    running_sim,
    set_callback,
)
from sqlalchemy import update

from simulator.client import VendorClient
from simulator.settings import Settings
from simulator.store import tables as t
from simulator.testing_receiver import Receiver, Reply

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def _with_plan(sim: Sim, vendor: VendorClient, session_id: str, plan: dict[str, Any]) -> str:
    """Confirm, then give the submission its plan (as the scenario engine writes it at confirm)."""
    sdk = await vendor.launch(session_id)
    submission_id = await vendor.capture(sdk)
    async with sim.services.repo.write() as conn:
        await conn.execute(update(t.submissions).where(t.submissions.c.id == submission_id).values(plan=plan))
    return submission_id


AUTHS = [
    pytest.param("POST", {"type": "none"}, None, id="post-no-auth"),
    pytest.param(
        "PUT",
        {"type": "basic", "username": "partner", "password": "s3cret"},
        ("authorization", "Basic " + base64.b64encode(b"partner:s3cret").decode()),
        id="put-basic",
    ),
    pytest.param(
        "PATCH", {"type": "bearer", "token": "tok-123"}, ("authorization", "Bearer tok-123"), id="patch-bearer"
    ),
    pytest.param(
        "POST",
        {"type": "api_key", "header": "X-Partner-Key", "value": "k-42"},
        ("x-partner-key", "k-42"),
        id="post-api-key",
    ),
]


@pytest.mark.parametrize(("method", "auth", "expected_header"), AUTHS)
async def test_delivered_on_the_first_try_with_method_auth_and_body(
    sim: Sim,
    vendor: VendorClient,
    receiver: Receiver,
    method: str,
    auth: dict[str, Any],
    expected_header: tuple[str, str] | None,
) -> None:
    await set_callback(sim, url=receiver.url_for("/kyc/callback"), method=method, auth=auth, headers={"x-env": "ci"})
    submission_id = await finished_submission(sim, vendor, "cb-first", user_id="user-9", user_id_type="MY_USER_ID")

    [request] = receiver.requests
    assert (request.method, request.path) == (method, "/kyc/callback")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-env"] == "ci"
    if expected_header is not None:
        name, value = expected_header
        assert request.headers[name] == value
    else:
        assert "authorization" not in request.headers

    body = request.json()
    assert_valid_callback_body(body)
    assert list(body) == [
        "submissionId",
        "flow",
        "userId",
        "userIdType",
        "partnerSessionId",
        "status",
        "result",
        "processedAt",
        "reasonCode",
        "submissionDetails",
    ]
    details = (await vendor.details(submission_id=submission_id)).json()["data"]
    assert body == {**details, "userId": "user-9", "userIdType": "MY_USER_ID"}
    assert (body["status"], body["result"], body["reasonCode"]) == ("COMPLETED", "VALID", "")

    [listed] = await callbacks_of(sim, submissionId=submission_id)
    assert (listed["state"], listed["attemptCount"], listed["cause"]) == ("delivered", 1, "completion")
    [attempt] = (await callback(sim, listed["id"]))["attempts"]
    assert (attempt["statusCode"], attempt["error"], attempt["method"]) == (200, None, method)
    assert attempt["responseExcerpt"] == '{"status":"ok"}'
    if expected_header is not None:
        name, value = expected_header
        shown = {k.lower(): v for k, v in attempt["requestHeaders"].items()}[name]
        assert shown == ("***" if name == "x-partner-key" else f"{value.split()[0]} ***")


async def test_spoof_callback_carries_the_reason(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))
    await _with_plan(sim, vendor, "cb-spoof", {"scenario": "test", "outcome": "NOT_LIVE"})
    await sim.advance(2)
    body = receiver.requests[0].json()
    assert_valid_callback_body(body)
    assert (body["status"], body["result"], body["reasonCode"]) == ("COMPLETED", "INVALID", "NOT_LIVE")
    assert body["submissionDetails"]["verificationResults"]["liveness"]["result"] is False


async def test_retried_after_two_500s_then_delivered(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))
    receiver.script(500, 500, 200)
    submission_id = await finished_submission(sim, vendor, "cb-retry")
    assert len(receiver.requests) == 1
    [pending] = await callbacks_of(sim, submissionId=submission_id)
    assert (pending["state"], pending["lastStatus"]) == ("pending", 500)

    await sim.advance(9.5)
    assert len(receiver.requests) == 1, "the first retry waits 10 s"
    await sim.advance(0.5)
    assert len(receiver.requests) == 2
    await sim.advance(30)
    assert len(receiver.requests) == 3

    done = await callback(sim, pending["id"])
    assert done["state"] == "delivered"
    assert [a["statusCode"] for a in done["attempts"]] == [500, 500, 200]
    assert [a["error"] for a in done["attempts"]] == ["HTTP 500 is not a 2xx answer"] * 2 + [None]
    assert len({r.body for r in receiver.requests}) == 1, "every attempt sends the same body"
    await sim.advance(3600)
    assert len(receiver.requests) == 3


async def test_given_up_after_the_last_retry(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"), retry_schedule_seconds=[1, 2])
    receiver.default = Reply(status=503)
    submission_id = await finished_submission(sim, vendor, "cb-give-up")
    await sim.advance(1)
    await sim.advance(2)
    [given_up] = await callbacks_of(sim, submissionId=submission_id, state="given_up")
    assert given_up["attemptCount"] == 3
    assert given_up["nextAttemptAt"] is None
    await sim.advance(3600)
    assert len(receiver.requests) == 3


async def test_timeout_is_retried(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"), timeout_seconds=0.2)
    receiver.script(receiver.hold(), 200)
    submission_id = await finished_submission(sim, vendor, "cb-timeout")
    [pending] = await callbacks_of(sim, submissionId=submission_id)
    assert pending["state"] == "pending"
    assert pending["lastError"] == "timed out after 0.2 s"
    assert pending["lastStatus"] is None

    await sim.advance(10)
    done = await callback(sim, pending["id"])
    assert done["state"] == "delivered"
    assert [a["statusCode"] for a in done["attempts"]] == [None, 200]


async def test_receiver_down_then_up(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))
    await receiver.stop()
    submission_id = await finished_submission(sim, vendor, "cb-down")
    [pending] = await callbacks_of(sim, submissionId=submission_id)
    assert pending["state"] == "pending"
    assert pending["lastError"].startswith("connection failed")

    await receiver.start()
    await sim.advance(10)
    assert (await callback(sim, pending["id"]))["state"] == "delivered"
    assert len(receiver.requests) == 1


async def test_pending_callback_survives_a_restart(settings: Settings, sim_factory: Any) -> None:
    async with Receiver() as receiver:
        await receiver.stop()
        async with running_sim(settings) as first:
            await set_callback(first, url=receiver.url_for("/cb"))
            submission_id = await finished_submission(first, first.vendor(), "cb-restart")
            [pending] = await callbacks_of(first, submissionId=submission_id)
            assert pending["state"] == "pending"

        await receiver.start()
        second: Sim = await sim_factory(settings)
        assert receiver.requests == []
        await second.advance(10)
        [request] = await receiver.wait_for(1)
        assert request.json()["submissionId"] == submission_id
        restored = await callback(second, pending["id"])
        assert restored["state"] == "delivered"
        assert [a["error"] is None for a in restored["attempts"]] == [False, True]


async def test_redeliver_sends_the_same_body_again(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))
    submission_id = await finished_submission(sim, vendor, "cb-redeliver")
    [first] = await callbacks_of(sim, submissionId=submission_id)

    response = await sim.http.post(f"/_sim/callbacks/{first['id']}/redeliver")
    assert response.status_code == 202
    again = response.json()
    assert (again["cause"], again["redeliveryOf"], again["state"]) == ("redeliver", first["id"], "pending")
    assert again["id"] != first["id"]
    await sim.advance(0)

    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert (await callback(sim, again["id"]))["state"] == "delivered"

    missing = await sim.http.post("/_sim/callbacks/nope/redeliver")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "SIM_404"


async def test_plan_delays_duplicates_and_drops(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))

    def passing(callback: dict[str, Any]) -> dict[str, Any]:
        return {"scenario": "test", "outcome": "PASS", "callback": callback}

    delayed = await _with_plan(sim, vendor, "cb-delay", passing({"delaySeconds": 30, "duplicates": 0, "drop": False}))
    doubled = await _with_plan(sim, vendor, "cb-dup", passing({"delaySeconds": 0, "duplicates": 2, "drop": False}))
    dropped = await _with_plan(sim, vendor, "cb-drop", passing({"delaySeconds": 0, "duplicates": 0, "drop": True}))
    await sim.advance(2)

    sent = [r.json()["submissionId"] for r in receiver.requests]
    assert sent == [doubled] * 3
    assert len({r.body for r in receiver.requests}) == 1
    assert [c["cause"] for c in await callbacks_of(sim, submissionId=doubled)] == [
        "completion",
        "duplicate",
        "duplicate",
    ]
    [drop] = await callbacks_of(sim, submissionId=dropped)
    assert (drop["state"], drop["attemptCount"]) == ("dropped", 0)

    await sim.advance(29)
    assert delayed not in [r.json()["submissionId"] for r in receiver.requests]
    await sim.advance(1)
    assert receiver.requests[-1].json()["submissionId"] == delayed
    assert len(receiver.requests) == 4


async def test_no_callback_url_is_recorded_as_skipped(sim: Sim, vendor: VendorClient) -> None:
    submission_id = await finished_submission(sim, vendor, "cb-none")
    [skipped] = await callbacks_of(sim, submissionId=submission_id)
    assert skipped["state"] == "skipped"
    assert "PATCH /_sim/partners/" in skipped["lastError"]
    assert skipped["body"]["status"] == "COMPLETED"


async def test_error_callback_body(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))
    await _with_plan(
        sim, vendor, "cb-error", {"scenario": "test", "outcome": "ERROR", "errorMessage": "Face detection failed"}
    )
    await sim.advance(2)
    body = receiver.requests[0].json()
    assert_valid_callback_body(body)
    assert (body["status"], body["reasonCode"]) == ("ERROR", "VERIFICATION_FAILED")
    assert "result" not in body


async def test_list_filters_and_bad_queries(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    await set_callback(sim, url=receiver.url_for("/cb"))
    first = await finished_submission(sim, vendor, "cb-list-1")
    await finished_submission(sim, vendor, "cb-list-2")
    assert len(await callbacks_of(sim)) == 2
    assert [c["submissionId"] for c in await callbacks_of(sim, partnerSessionId="cb-list-1")] == [first]
    assert len(await callbacks_of(sim, state="delivered", limit="1")) == 1
    assert await callbacks_of(sim, state="pending") == []

    bad_state = await sim.http.get("/_sim/callbacks", params={"state": "lost"})
    assert bad_state.status_code == 400
    assert "`state`: Input should be 'pending', 'delivered'" in bad_state.json()["errors"][0]["cause"]
    assert (await sim.http.get("/_sim/callbacks", params={"limit": "0"})).status_code == 400
    assert (await sim.http.get("/_sim/callbacks/unknown")).status_code == 404


async def test_attempts_are_journaled_without_secrets(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    from simulator.store.journal_rows import JournalQuery, JournalStore

    await set_callback(sim, url=receiver.url_for("/cb"), auth={"type": "bearer", "token": "tok-secret"})
    receiver.script(500, 200)
    submission_id = await finished_submission(sim, vendor, "cb-journal")
    await sim.advance(10)
    await sim.services.journal.flush()
    query = JournalQuery(direction="outbound", kind="callback", submission_id=submission_id)
    entries = await JournalStore(sim.services.repo).query(query, newest_first=False)
    assert [(e.method, e.status) for e in entries] == [("POST", 500), ("POST", 200)]
    assert all("tok-secret" not in str(e) for e in entries)
    assert entries[0].request_headers["authorization"] == "Bearer ***"


async def test_trigger_callback_enqueues_a_fresh_delivery(sim: Sim, vendor: VendorClient, receiver: Receiver) -> None:
    from simulator.errors import Conflict, NotFound
    from simulator.services.partner_calls.callbacks import trigger_callback

    await set_callback(sim, url=receiver.url_for("/cb"))
    submission_id = await finished_submission(sim, vendor, "cb-trigger")
    triggered = await trigger_callback(sim.services, submission_id)
    assert (triggered.cause, triggered.state.value) == ("trigger", "pending")
    await sim.advance(0)
    assert [r.json()["submissionId"] for r in receiver.requests] == [submission_id] * 2

    sdk = await vendor.launch("cb-trigger-open")
    open_id = await vendor.capture(sdk)
    with pytest.raises(Conflict, match="IN_PROGRESS"):
        await trigger_callback(sim.services, open_id)
    with pytest.raises(NotFound):
        await trigger_callback(sim.services, "no-such-submission")
