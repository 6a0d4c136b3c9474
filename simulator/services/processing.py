"""Processing: the end of a confirmed submission, from the job table or the Nth status poll."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from simulator.domain.outcomes import Outcome, verdict_for
from simulator.domain.states import Status
from simulator.store.records import JobRecord, SubmissionRecord
from simulator.store.repository import StaleStateError

if TYPE_CHECKING:
    from simulator.jobs.scheduler import JobHandler
    from simulator.services.container import Services

log = logging.getLogger("simulator.processing")


async def complete_submission(svc: Services, submission_id: str, cause: str) -> SubmissionRecord | None:
    """Give an IN_PROGRESS submission its planned verdict; idempotent (a finished one is left alone)."""
    record = await svc.repo.get_submission(submission_id)
    if record is None or record.status is not Status.IN_PROGRESS:
        return record
    plan = record.plan or {}
    verdict = verdict_for(
        Outcome(plan.get("outcome", Outcome.PASS.value)),
        retriable=plan.get("retriable"),
        error_message=plan.get("errorMessage"),
    )
    try:
        record = await svc.repo.complete(record.id, record.session_key, verdict, svc.clock.now(), cause)
    except StaleStateError:
        return await svc.repo.get_submission(submission_id)
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
        await complete_submission(svc, job.ref, "processing-delay")
        await svc.repo.finish_job(job.id, svc.clock.now())

    return {"complete": complete}
