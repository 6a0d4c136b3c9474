"""Processing: the end of a confirmed submission, from the job table or the Nth status poll.

When the session gave a reference image, completion waits for its fetch and lets a failed fetch
override the planned verdict; the partner callbacks are written with the state change (the outbox).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from simulator.domain.outcomes import Outcome, verdict_for
from simulator.domain.states import Status
from simulator.services import callbacks, reference
from simulator.store.errors import StaleStateError
from simulator.store.records import JobRecord, SubmissionRecord

if TYPE_CHECKING:
    from simulator.jobs.scheduler import JobHandler
    from simulator.services.container import Services

log = logging.getLogger("simulator.processing")

REFERENCE_WAIT_SECONDS = 1.0


async def complete_submission(
    svc: Services, submission_id: str, cause: str, *, wait_for_reference: bool = True
) -> SubmissionRecord | None:
    """Give an IN_PROGRESS submission its planned verdict; idempotent (a finished one is left alone).

    While its reference image is still being fetched it stays IN_PROGRESS, unless `wait_for_reference`
    is false (a forced completion), which keeps the planned verdict. Its callbacks are written with it.
    """
    record = await svc.repo.get_submission(submission_id)
    if record is None or record.status is not Status.IN_PROGRESS:
        return record
    plan = record.plan or {}
    verdict = verdict_for(
        Outcome(plan.get("outcome", Outcome.PASS.value)),
        retriable=plan.get("retriable"),
        error_message=plan.get("errorMessage"),
    )
    session = await svc.repo.get_session(record.session_key)
    if session is not None and session.reference_image_url is not None:
        fetch = await svc.repo.reference_fetch_of(record.id)
        if fetch is not None and fetch.pending and wait_for_reference:
            return record
        if fetch is not None and not fetch.pending:
            verdict = reference.reference_verdict(fetch) or verdict
    now = svc.clock.now()
    done = callbacks.completed_view(record, verdict, now)
    outbox = callbacks.plan_callbacks(svc, done, session, plan, now) if session is not None else []
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


def job_handlers(svc: Services) -> dict[str, JobHandler]:
    async def complete(job: JobRecord) -> None:
        record = await complete_submission(svc, job.ref, "processing-delay")
        now = svc.clock.now()
        if record is not None and record.status is Status.IN_PROGRESS:
            # On a frozen clock, look again at once: the fetch is real I/O, and a clock advance must
            # settle only once the completion it made due has happened.
            wait = 0.0 if svc.clock.frozen else REFERENCE_WAIT_SECONDS
            await svc.repo.retry_job(job.id, now + wait, now, "waiting for the reference image")
            # The fetch makes a deferred completion due when it ends; if it ended between our look and
            # the deferral above, it saw nothing to wake, so look once more (writes are serialised).
            fetch = await svc.repo.reference_fetch_of(job.ref)
            if fetch is None or not fetch.pending:
                await svc.repo.retry_job(job.id, now, now, "the reference image is in")
            return
        await svc.repo.finish_job(job.id, now)

    return {"complete": complete, **callbacks.job_handlers(svc), **reference.job_handlers(svc)}
