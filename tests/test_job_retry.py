"""Jobs never retry forever: a failing handler runs again after 1, 2, 4, 8 s on the simulator clock, then
the job is `failed` with its last error, its submission ends `ERROR` and its callback is still sent;
/_sim/jobs, the session timeline and /_sim/health show it. Driven by clock advances, no sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from conftest import Sim
from outbound_support import assert_valid_callback_body, set_callback
from sqlalchemy import update

from simulator.client import SdkSession, VendorClient
from simulator.jobs.retry import RetryPolicy
from simulator.store import tables as t
from simulator.testing_receiver import Receiver

pytestmark = pytest.mark.anyio


@pytest.fixture
async def partner() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


def test_the_default_budget_is_five_runs_with_doubling_waits() -> None:
    policy = RetryPolicy()
    assert [policy.delay_after(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, None, None]
    assert RetryPolicy(max_attempts=10, max_delay_seconds=5).delay_after(9) == 5.0


async def _jobs(sim: Sim, **params: str) -> list[dict[str, Any]]:
    response = await sim.http.get("/_sim/jobs", params=params)
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


async def _advance_through_the_budget(sim: Sim, kind: str, ref: str) -> None:
    """Advance by each backoff in turn, checking the job is pending again after each failed run."""
    for failures, wait in enumerate([1, 2, 4, 8], start=1):
        [job] = await _jobs(sim, kind=kind, ref=ref)
        assert (job["state"], job["attempts"]) == ("pending", failures), job
        await sim.advance(wait - 0.5)
        assert (await _jobs(sim, kind=kind, ref=ref))[0]["attempts"] == failures  # not due yet
        await sim.advance(0.5)


async def _assert_ended_in_error(
    sim: Sim, vendor: VendorClient, partner: Receiver, sdk: SdkSession, submission_id: str, message: str
) -> None:
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert (status["status"], status["nextAction"], status["errorMessage"]) == ("ERROR", "EXIT", message)
    details = (await vendor.details(submission_id=submission_id)).json()["data"]
    assert (details["status"], details["reasonCode"]) == ("ERROR", "VERIFICATION_FAILED")
    with anyio.fail_after(10):
        callbacks = [r for r in await partner.wait_for(1) if r.path == "/cb"]
    [callback] = callbacks
    body = callback.json()
    assert (body["status"], body["reasonCode"], body["submissionId"]) == ("ERROR", "VERIFICATION_FAILED", submission_id)
    assert_valid_callback_body(body)


async def test_a_completion_failing_on_a_bad_stored_plan_ends_in_error_after_its_budget(
    sim: Sim, vendor: VendorClient, partner: Receiver
) -> None:
    await set_callback(sim, url=partner.url_for("/cb"))
    sdk = await vendor.launch("bad-plan")
    submission_id = await vendor.capture(sdk)
    async with sim.services.repo.write() as conn:
        await conn.execute(
            update(t.submissions).where(t.submissions.c.id == submission_id).values(plan={"outcome": "BOGUS"})
        )
    sim.services.repo.forget()

    await sim.advance(2)  # the processing delay: first run, fails
    await _advance_through_the_budget(sim, "complete", submission_id)

    [job] = await _jobs(sim, state="failed")
    assert (job["kind"], job["ref"], job["attempts"]) == ("complete", submission_id, 5)
    assert job["lastError"].startswith("ValueError: 'BOGUS' is not a valid Outcome")
    await _assert_ended_in_error(sim, vendor, partner, sdk, submission_id, "Verification could not be completed")

    health = (await sim.http.get("/_sim/health")).json()
    assert (health["failedJobs"], health["pendingJobs"], health["jobs"]["failed"]) == (1, 0, 1)
    session = (await sim.http.get("/_sim/sessions/by-partner-session/bad-plan")).json()
    failed = [e for e in session["timeline"] if e["type"] == "job"]
    assert [(e["job"]["kind"], e["job"]["state"]) for e in failed] == [("complete", "failed")]
    transitions = [(e["to"], e["cause"]) for e in session["timeline"] if e["type"] == "transition"]
    assert transitions[-1] == ("ERROR", "job-failed")
    # Nothing runs again: the failed job stays failed however far the clock goes.
    await sim.advance(3600)
    assert (await _jobs(sim, kind="complete", ref=submission_id))[0]["state"] == "failed"
    assert len([r for r in partner.requests if r.path == "/cb"]) == 1


async def test_a_reference_fetch_whose_url_makes_the_client_raise_ends_in_error(
    sim: Sim, vendor: VendorClient, partner: Receiver
) -> None:
    """`http://xn--/` passes Initiate Flow's check but makes the HTTP client raise (an IDNA error)."""
    await set_callback(sim, url=partner.url_for("/cb"))
    body = {"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"referenceImageUrl": "http://xn--/k"}}
    sdk = await vendor.launch("bad-reference-url", body=body)
    submission_id = await vendor.capture(sdk)
    with anyio.fail_after(20):
        await sim.advance(0)  # the fetch is due at confirm: first run, fails
        await _advance_through_the_budget(sim, "fetch_reference", submission_id)
        await sim.advance(2)  # the processing delay is over: the completion reads the failed fetch

    [job] = await _jobs(sim, state="failed")
    assert (job["kind"], job["attempts"]) == ("fetch_reference", 5)
    fetch = await sim.services.repo.reference_fetch_of(submission_id)
    assert fetch is not None
    assert (fetch.state, fetch.outcome) == ("done", "failed")
    await _assert_ended_in_error(sim, vendor, partner, sdk, submission_id, "Reference image could not be fetched")
    assert (await sim.http.get("/_sim/health")).json()["failedJobs"] == 1
    assert await _jobs(sim, state="pending") == []


async def test_a_callback_delivery_failing_on_a_bad_stored_row_is_failed_after_its_budget(
    sim: Sim, vendor: VendorClient, partner: Receiver
) -> None:
    """The partner answering 500 is a callback attempt (its own schedule), not a job failure; a delivery
    whose stored callback row cannot be read is a job failure, and spends the budget."""
    await set_callback(sim, url=partner.url_for("/cb"))
    partner.script(500)
    sdk = await vendor.launch("bad-callback-row")
    await vendor.capture(sdk)
    await sim.advance(2)  # completes; the first delivery gets the 500 and waits 10 s for its retry
    [job] = await _jobs(sim, kind="deliver_callback")
    assert (job["state"], job["attempts"]) == ("pending", 0)
    async with sim.services.repo.write() as conn:
        await conn.execute(update(t.callbacks).where(t.callbacks.c.id == job["ref"]).values(state="lost"))

    await sim.advance(10)  # the retry is due: reading the row fails
    await _advance_through_the_budget(sim, "deliver_callback", job["ref"])
    [failed] = await _jobs(sim, state="failed")
    assert (failed["kind"], failed["ref"], failed["attempts"]) == ("deliver_callback", job["ref"], 5)
    assert failed["lastError"].startswith("ValueError: 'lost' is not a valid CallbackState")
    assert (await sim.http.get("/_sim/health")).json()["failedJobs"] == 1
    assert len(partner.requests) == 1
