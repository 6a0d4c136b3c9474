"""Processing: the end of a confirmed submission, from the job table or the Nth status poll.

When the submission has a reference-image fetch (a URL from Initiate Flow, or the partner's
reference-image endpoint), completion waits for it and lets a failed fetch override the planned verdict;
the partner callbacks are written with the state change (the outbox).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from simulator.domain.outcomes import Outcome, verdict_for
from simulator.domain.states import Status
from simulator.services.partner_calls import callbacks, reference, reference_endpoint
from simulator.store.errors import StaleStateError
from simulator.store.partner_calls import ASK_REFERENCE_IMAGE, COMPLETE, FETCH_REFERENCE, WAITING_FOR_REFERENCE
from simulator.store.records import JobRecord, SubmissionRecord

if TYPE_CHECKING:
    from simulator.jobs.scheduler import GiveUpHandler, JobHandler
    from simulator.services.context import Services

log = logging.getLogger("simulator.processing")

REFERENCE_WAIT_SECONDS = 1.0
PROCESSING_FAILED = "Verification could not be completed"
# The jobs that end a pending reference fetch: the fetch of a URL, or the call of the partner's endpoint.
REFERENCE_JOBS = (FETCH_REFERENCE, ASK_REFERENCE_IMAGE)


async def complete_submission(
    svc: Services,
    submission_id: str,
    cause: str,
    *,
    wait_for_reference: bool = True,
    failed: bool = False,
) -> SubmissionRecord | None:
    """Give an IN_PROGRESS submission its planned verdict; idempotent (a finished one is left alone).

    While its reference image is still being fetched it stays IN_PROGRESS, unless `wait_for_reference`
    is false (a forced completion), which keeps the planned verdict. Its callbacks are written with it.
    `failed` (its processing job failed past its retry budget) ends it `ERROR` / `VERIFICATION_FAILED`
    with a generic message, whatever its plan says, and one callback due at once.
    """
    record = await svc.repo.get_submission(submission_id)
    if record is None or record.status is not Status.IN_PROGRESS:
        return record
    plan = {} if failed else record.plan or {}
    verdict = (
        verdict_for(Outcome.ERROR, error_message=PROCESSING_FAILED)
        if failed
        else verdict_for(
            Outcome(plan.get("outcome", Outcome.PASS.value)),
            retriable=plan.get("retriable"),
            error_message=plan.get("errorMessage"),
        )
    )
    session = await svc.repo.get_session(record.session_key)
    # A fetch exists when the session gave a reference URL or the partner's endpoint was to be asked.
    fetch = await svc.repo.reference_fetch_of(record.id)
    if not failed and fetch is not None:
        if fetch.pending and wait_for_reference:
            return record
        if not fetch.pending:
            verdict = reference.reference_verdict(fetch) or verdict
    now = svc.clock.now()
    done = callbacks.completed_view(record, verdict, now)
    has_reference = fetch is not None
    outbox = (
        callbacks.plan_callbacks(svc, done, session, plan, now, has_reference=has_reference)
        if session is not None
        else []
    )
    try:
        record = await svc.repo.complete(record.id, record.session_key, verdict, now, cause, outbox)
    except StaleStateError:
        return await svc.repo.get_submission(submission_id)
    svc.wake_scheduler()
    log.info(
        "submission completed",
        extra={
            "submissionId": record.id,
            "partnerSessionId": record.partner_session_id,
            "status": record.status.value,
            "result": record.result.value if record.result else None,
            "reasonCode": record.reason_code,
            "cause": cause,
        },
    )
    return record


async def _fetch_abandoned(svc: Services, submission_id: str) -> bool:
    """True when the reference fetch is still pending but no job will ever run it (its job failed)."""
    fetch = await svc.repo.reference_fetch_of(submission_id)
    return fetch is not None and fetch.pending


def job_handlers(svc: Services) -> dict[str, JobHandler]:
    async def complete(job: JobRecord) -> None:
        record = await complete_submission(svc, job.ref, "processing-delay")
        now = svc.clock.now()
        if record is not None and record.status is Status.IN_PROGRESS:
            # Waiting for the reference fetch, which makes this job due when it ends. Look again when the
            # fetch job next runs; at once on a frozen clock while it runs (a clock advance must settle only
            # once the completion it made due has happened); never in a loop while it waits for its retry.
            fetch_due = await svc.repo.job_due_at(REFERENCE_JOBS, job.ref)
            if fetch_due is None and await _fetch_abandoned(svc, job.ref):
                await complete_submission(svc, job.ref, "job-failed", failed=True)
                await svc.repo.finish_job(job.id, svc.clock.now())
                return
            wait = 0.0 if svc.clock.frozen else REFERENCE_WAIT_SECONDS
            due = max(now + wait, fetch_due if fetch_due is not None else now)
            await svc.repo.defer_job(job.id, due, now, WAITING_FOR_REFERENCE)
            # The fetch makes a deferred completion due when it ends; if it ended between our look and
            # the deferral above, it saw nothing to wake, so look once more (writes are serialised).
            fetch = await svc.repo.reference_fetch_of(job.ref)
            if fetch is None or not fetch.pending:
                await svc.repo.defer_job(job.id, now, now, "the reference image is in")
            return
        await svc.repo.finish_job(job.id, now)

    return {
        COMPLETE: complete,
        **callbacks.job_handlers(svc),
        **reference.job_handlers(svc),
        **reference_endpoint.job_handlers(svc),
    }


def give_up_handlers(svc: Services) -> dict[str, GiveUpHandler]:
    """What settles the work of a job that failed past its retry budget, by job kind."""

    async def complete(job: JobRecord, error: str) -> None:
        await complete_submission(svc, job.ref, "job-failed", failed=True)

    return {
        COMPLETE: complete,
        **callbacks.give_up_handlers(svc),
        **reference.give_up_handlers(svc),
        **reference_endpoint.give_up_handlers(svc),
    }
