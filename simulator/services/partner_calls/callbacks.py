"""Partner callbacks: the outbox rows written when a submission ends, their delivery with retries, redelivery.

When a submission reaches `COMPLETED` or `ERROR`, `plan_callbacks` drafts its callback(s); the repository
writes them in the same transaction as the state change. The scheduler then runs `deliver` for each
pending one: one HTTP call through `svc.http` with the partner's method, auth, headers and timeout. A 2xx
answer delivers it; anything else (non-2xx, timeout, refused connection) is retried after the next wait
of the retry schedule (simulator clock), and after the last one the callback is `given_up`.

States: `pending` -> `delivered` | `given_up`; `dropped` (the scenario said so, never sent);
`skipped` (the partner has no callback URL). Duplicates asked by a scenario are callbacks of their own
(cause `duplicate`) with the same body; a redelivery is a new callback (cause `redeliver`) with the body
of the one it redelivers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx

from simulator import __version__
from simulator.domain.outcomes import Verdict
from simulator.domain.states import TERMINAL
from simulator.errors import Conflict, NotFound
from simulator.partners import CallbackConfig
from simulator.services.partner_calls.plumbing import (
    EXCERPT_BYTES,
    Stopwatch,
    describe_error,
    excerpt,
    journal_outbound,
    read_capped,
    redact_headers,
)
from simulator.services.vendor_flow.payloads import callback_body, selfie_url
from simulator.store.partner_call_records import (
    AttemptOutcome,
    CallbackAttemptRecord,
    CallbackRecord,
    CallbackState,
    NewCallback,
)
from simulator.store.partner_calls import DELIVER_CALLBACK
from simulator.store.records import JobRecord, SessionRecord, SubmissionRecord

if TYPE_CHECKING:
    from simulator.jobs.scheduler import GiveUpHandler, JobHandler
    from simulator.services.context import Services

log = logging.getLogger("simulator.callbacks")

USER_AGENT = f"onekyc-sim/{__version__} (partner callback)"
NO_URL = "the partner has no callback URL: set one with PATCH /_sim/partners/{clientId}/callback"


def completed_view(record: SubmissionRecord, verdict: Verdict, now: float) -> SubmissionRecord:
    """The submission as it will read once `verdict` is committed (to draft its callback body)."""
    return replace(
        record,
        status=verdict.status,
        result=verdict.result,
        reason_code=verdict.reason_code,
        retriable=verdict.retriable,
        error_message=verdict.error_message,
        reference_reason_code=verdict.reference_reason_code,
        completed_at=now,
    )


def plan_callbacks(
    svc: Services,
    done: SubmissionRecord,
    session: SessionRecord,
    plan: dict[str, Any],
    now: float,
    *,
    has_reference: bool | None = None,
) -> list[NewCallback]:
    """The callbacks a finished submission sends, honouring the plan's `callback` script.

    `delaySeconds`: first delivery that much later; `duplicates`: that many extra callbacks with the
    same body; `drop`: written as `dropped`, never sent.
    """
    script = plan.get("callback") or {}
    delay = max(0.0, float(script.get("delaySeconds") or 0.0))
    copies = 1 + max(0, int(script.get("duplicates") or 0))
    body = callback_body(done, session, selfie_url(svc, done), has_reference=has_reference)
    drafts = []
    for n in range(copies):
        draft = _draft(svc, done, body, "completion" if n == 0 else "duplicate", now + delay)
        if script.get("drop") and draft.state is CallbackState.PENDING:
            note = f"dropped by scenario {plan.get('scenario', '')!r}"
            draft = replace(draft, state=CallbackState.DROPPED, note=note)
        drafts.append(draft)
        if draft.state is CallbackState.SKIPPED:
            break
    return drafts


def _draft(
    svc: Services,
    submission: SubmissionRecord,
    body: dict[str, Any],
    cause: str,
    due_at: float,
    redelivery_of: str | None = None,
) -> NewCallback:
    partner = svc.partner(submission.client_id)
    has_url = partner is not None and partner.callback.url is not None
    return NewCallback(
        id=svc.ids.uuid(),
        client_id=submission.client_id,
        session_key=submission.session_key,
        submission_id=submission.id,
        partner_session_id=submission.partner_session_id,
        cause=cause,
        state=CallbackState.PENDING if has_url else CallbackState.SKIPPED,
        body=body,
        due_at=due_at,
        redelivery_of=redelivery_of,
        note=None if has_url else NO_URL,
    )


async def trigger_callback(svc: Services, submission_id: str) -> CallbackRecord:
    """Enqueue a fresh delivery, due now, of a finished submission's callback (body from its current state)."""
    submission = await svc.repo.get_submission(submission_id)
    if submission is None:
        raise NotFound("SIM_404", f"There is no submission {submission_id!r}; check the id from presign.")
    if submission.status not in TERMINAL:
        raise Conflict(
            "SIM_409",
            f"Submission {submission_id} is {submission.status.value}: only COMPLETED or ERROR submissions have "
            "a callback. Let it finish (advance the clock) or force it first.",
        )
    session = await svc.repo.get_session(submission.session_key)
    assert session is not None
    has_reference = await svc.repo.reference_fetch_of(submission.id) is not None
    body = callback_body(submission, session, selfie_url(svc, submission), has_reference=has_reference)
    return await _enqueue(svc, _draft(svc, submission, body, "trigger", svc.clock.now()))


async def redeliver(svc: Services, callback_id: str) -> CallbackRecord:
    """A new callback, due now, with exactly the body of `callback_id` (whatever state that one is in)."""
    original = await get_callback(svc, callback_id)
    submission = await svc.repo.get_submission(original.submission_id)
    if submission is None:
        raise NotFound("SIM_404", f"The submission of callback {callback_id} no longer exists (was it reset?).")
    draft = _draft(svc, submission, original.body, "redeliver", svc.clock.now(), redelivery_of=original.id)
    return await _enqueue(svc, draft)


async def _enqueue(svc: Services, draft: NewCallback) -> CallbackRecord:
    record = await svc.repo.add_callback(draft, svc.clock.now())
    svc.wake_scheduler()
    return record


async def get_callback(svc: Services, callback_id: str) -> CallbackRecord:
    found = await svc.repo.get_callback(callback_id, with_attempts=True)
    if found is None:
        raise NotFound("SIM_404", f"There is no callback {callback_id!r}; list them with GET /_sim/callbacks.")
    return found


# -- delivery -----------------------------------------------------------------------------------


def request_headers(config: CallbackConfig) -> dict[str, str]:
    """The headers of a callback request: JSON, the partner's extra headers, then its auth."""
    headers = {
        "content-type": "application/json",
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
        **config.headers,
    }
    return headers | config.auth.headers()


def retry_schedule(svc: Services, config: CallbackConfig) -> list[float]:
    if config.retry_schedule_seconds is not None:
        return config.retry_schedule_seconds
    return svc.settings.callback_retry_schedule


async def deliver(svc: Services, job: JobRecord) -> None:
    """One delivery attempt of the callback `job.ref`; never raises on a partner failure."""
    callback = await svc.repo.get_callback(job.ref)
    if callback is None or callback.state is not CallbackState.PENDING:
        await svc.repo.finish_job(job.id, svc.clock.now())
        return
    partner = svc.partner(callback.client_id)
    if partner is None or partner.callback.url is None:
        await svc.repo.settle_callback(callback.id, job.id, CallbackState.SKIPPED, NO_URL, svc.clock.now())
        return
    config = partner.callback
    url = config.url
    assert url is not None
    headers = request_headers(config)
    content = json.dumps(callback.body, separators=(",", ":"), ensure_ascii=False).encode()
    status: int | None = None
    answer: str | None = None
    error: str | None = None
    watch = Stopwatch()
    try:
        async with (
            asyncio.timeout(config.timeout_seconds),
            svc.http.stream(config.method, url, content=content, headers=headers, timeout=config.timeout_seconds) as r,
        ):
            status = r.status_code
            answer = excerpt((await read_capped(r, EXCERPT_BYTES)).data)
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
        error = describe_error(exc, config.timeout_seconds)
    duration = watch.ms()
    delivered = status is not None and 200 <= status < 300
    if status is not None and not delivered:
        error = f"HTTP {status} is not a 2xx answer"
    number = callback.attempts + 1
    schedule = retry_schedule(svc, config)
    now = svc.clock.now()
    if delivered:
        state, next_at = CallbackState.DELIVERED, None
    elif number > len(schedule):
        state, next_at = CallbackState.GIVEN_UP, None
    else:
        state, next_at = CallbackState.PENDING, now + schedule[number - 1]
    shown = redact_headers(headers, config.auth.secret_headers())
    attempt = CallbackAttemptRecord(number, now, duration, config.method, url, shown, status, answer, error)
    await svc.repo.record_callback_attempt(AttemptOutcome(callback.id, job.id, attempt, state, next_at), now)
    journal_outbound(
        svc,
        "callback",
        method=config.method,
        url=url,
        status=status,
        latency_ms=duration,
        client_id=callback.client_id,
        partner_session_id=callback.partner_session_id,
        session_key=callback.session_key,
        submission_id=callback.submission_id,
        request_headers=shown,
        request_body=content.decode(),
        response_body=answer,
        error=error,
        extra={"callbackId": callback.id, "attempt": number, "state": state.value},
    )
    log.info(
        "callback attempt",
        extra={
            "callbackId": callback.id,
            "submissionId": callback.submission_id,
            "attempt": number,
            "status": status,
            "error": error,
            "state": state.value,
        },
    )


def give_up_handlers(svc: Services) -> dict[str, GiveUpHandler]:
    """A delivery job that failed past its retry budget (not a partner failure: those are attempts)
    leaves its callback `given_up`, with the job's last error."""

    async def deliver_callback(job: JobRecord, error: str) -> None:
        note = f"the delivery job failed: {error}"
        await svc.repo.settle_callback(job.ref, job.id, CallbackState.GIVEN_UP, note, svc.clock.now())

    return {DELIVER_CALLBACK: deliver_callback}


def job_handlers(svc: Services) -> dict[str, JobHandler]:
    async def deliver_callback(job: JobRecord) -> None:
        await deliver(svc, job)

    return {DELIVER_CALLBACK: deliver_callback}
